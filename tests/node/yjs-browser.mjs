// The entry of the web app's vendored Yjs bundle (scripts/vendor-yjs builds it with esbuild):
// npm yjs and y-websocket as one ES module, so the route page needs no CDN and no bundler.
export * as Y from "yjs";
export { WebsocketProvider } from "y-websocket";
