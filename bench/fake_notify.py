"""A fake GOV.UK Notify API for benchmarks and tests: answers like Notify, after a fixed latency.

    python bench/fake_notify.py --port 8141 --latency-ms 150

POST /v2/notifications/{email,sms,letter}  201 with a new notification id (as Notify's client expects)
GET  /v2/notifications?reference=R           the notifications accepted with that reference
GET  /_stats                                 {"accepted", "posts", "duplicates", "peak_in_flight"}
POST /_reset                                 forget everything

asyncio with HTTP/1.1 keep-alive, so that one process answers thousands of requests a second and
the latency is the only thing it adds: what is measured is the client side. Standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from urllib.parse import parse_qs, urlsplit


class Notify:
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.by_reference: dict[str, list[dict[str, object]]] = {}
        self.posts = 0
        self.in_flight = 0
        self.peak_in_flight = 0

    def stats(self) -> dict[str, int]:
        accepted = sum(len(v) for v in self.by_reference.values())
        return {"accepted": accepted, "posts": self.posts, "peak_in_flight": self.peak_in_flight,
                "duplicates": sum(len(v) - 1 for v in self.by_reference.values() if len(v) > 1)}

    async def answer(self, method: str, target: str, body: bytes) -> tuple[int, object]:
        url = urlsplit(target)
        if url.path == "/_stats":
            return 200, self.stats()
        if url.path == "/_reset":
            self.__init__(self.latency)  # type: ignore[misc]
            return 200, {}
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
            if method == "POST" and url.path.startswith("/v2/notifications/"):
                self.posts += 1
                data = json.loads(body or b"{}")
                notification = {"id": str(uuid.uuid4()), "reference": data.get("reference"), "status": "created",
                                "type": url.path.rsplit("/", 1)[-1]}
                self.by_reference.setdefault(str(data.get("reference")), []).append(notification)
                return 201, {"id": notification["id"], "reference": data.get("reference"),
                             "content": {"body": (data.get("personalisation") or {}).get("body", "")},
                             "template": {"id": data.get("template_id"), "version": 1, "uri": "x"}, "uri": "x"}
            if method == "GET" and url.path == "/v2/notifications":
                reference = parse_qs(url.query).get("reference", [""])[0]
                return 200, {"notifications": self.by_reference.get(reference, []), "links": {}}
            return 404, {"status_code": 404, "errors": [{"error": "NotFound", "message": "No such path"}]}
        finally:
            self.in_flight -= 1

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                fields = (line.partition(":") for line in lines[1:] if line)
                headers = {name.strip().lower(): value.strip() for name, _, value in fields}
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                status, payload = await self.answer(method, target, body)
                data = json.dumps(payload).encode()
                writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                             f"\r\n".encode() + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()


async def main(port: int, latency: float) -> None:
    notify = Notify(latency)
    server = await asyncio.start_server(notify.serve, "127.0.0.1", port, backlog=1024)
    print(f"fake Notify on http://127.0.0.1:{port} ({latency * 1000:.0f} ms)", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=150)
    args = parser.parse_args()
    asyncio.run(main(args.port, args.latency_ms / 1000))
