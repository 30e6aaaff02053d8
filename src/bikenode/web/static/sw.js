// The service worker: shows a web push message (what the in-app list shows: title, text,
// link) and opens its link when clicked. Served at /sw.js so its scope is the whole app.

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  // The notification's id as tag: a push sent again (a retry) replaces, never doubles.
  const options = { body: data.text || "", tag: data.id || "bikenode", data: { link: data.link } };
  event.waitUntil(self.registration.showNotification(data.title || "BikeNode", options));
});

/** A path of this app only: anything else (another origin, "//host") opens the list. */
function target(link) {
  const safe = typeof link === "string" && link.startsWith("/") && !link.startsWith("//");
  return new URL(safe ? link : "/notifications", self.location.origin).href;
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = target(event.notification.data?.link);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => w.url.startsWith(self.location.origin) && "focus" in w);
      if (open) return open.navigate(url).then((w) => (w || open).focus());
      return self.clients.openWindow(url);
    }),
  );
});
