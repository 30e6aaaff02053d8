"""An external routing engine: a Valhalla server's HTTP API (POST /route, bicycle costing).

Configured with BIKENODE_ROUTING_ENGINE=valhalla and BIKENODE_ROUTING_URL; each leg is one
request. A leg the server cannot route (no path, a location far from roads) or a server that
does not answer becomes NotRoutable, so the planner draws that leg straight and says why.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Final

from bikenode.planner.routing.graph import Leg, NotRoutable

MAX_ANSWER_BYTES: Final = 16 * 1024 * 1024
BICYCLE_TYPES: Final = {"road": "Road", "hybrid": "Hybrid", "gravel": "Cross", "mtb": "Mountain"}


class ValhallaRouter:
    """Legs from a Valhalla server, for one bike type."""

    def __init__(self, base_url: str, *, timeout_s: float = 10.0, bike: str = "hybrid") -> None:
        self.url = base_url.rstrip("/") + "/route"
        self.timeout_s = timeout_s
        self.bicycle_type = BICYCLE_TYPES[bike]

    def leg(self, start: tuple[float, float], end: tuple[float, float]) -> Leg:
        """The server's bicycle route between two positions; NotRoutable if it has none."""
        answer = self._post(
            {
                "locations": [{"lat": start[0], "lon": start[1]}, {"lat": end[0], "lon": end[1]}],
                "costing": "bicycle",
                "costing_options": {"bicycle": {"bicycle_type": self.bicycle_type}},
                "units": "kilometers",
            }
        )
        return leg_from_answer(answer)

    def _post(self, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(  # noqa: S310 (the operator's configured engine)
            self.url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310  # nosec B310
                return json.loads(response.read(MAX_ANSWER_BYTES))
        except urllib.error.HTTPError as error:
            raise NotRoutable(f"the routing engine found no route: {_reason(error)}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise NotRoutable(f"the routing engine did not answer: {error}") from None


def leg_from_answer(answer: Any) -> Leg:
    """A leg from a Valhalla /route answer (one leg, shape as a precision-6 polyline)."""
    try:
        leg = answer["trip"]["legs"][0]
        path = decode_polyline6(leg["shape"])
        distance_m = float(leg["summary"]["length"]) * 1000
    except (KeyError, IndexError, TypeError, ValueError):
        raise NotRoutable("expected a Valhalla route with one leg, got another answer") from None
    if len(path) < 2:
        raise NotRoutable("expected a route of at least two points from the routing engine")
    return Leg(path, distance_m, {}, {})


def decode_polyline6(encoded: str) -> list[tuple[float, float]]:
    """Positions of an encoded polyline with six decimals (Valhalla's shape format)."""
    points: list[tuple[float, float]] = []
    index, lat, lon = 0, 0, 0
    while index < len(encoded):
        deltas = []
        for _ in range(2):
            shift, result = 0, 0
            while True:
                if index >= len(encoded):
                    raise ValueError("expected a complete polyline, got a cut one")
                byte = ord(encoded[index]) - 63
                index += 1
                result |= (byte & 0x1F) << shift
                shift += 5
                if byte < 0x20:
                    break
            deltas.append(~(result >> 1) if result & 1 else result >> 1)
        lat += deltas[0]
        lon += deltas[1]
        points.append((lat / 1e6, lon / 1e6))
    return points


def _reason(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read(64 * 1024))
        return str(body.get("error", error.reason))[:200]
    except (ValueError, AttributeError, OSError):
        return str(error.reason)
