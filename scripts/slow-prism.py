#!/usr/bin/env python3
"""A local HTTPS endpoint shaped like Prism Central's v3 clusters/list that answers after a fixed delay, for
scripts/bench-test-all. Usage: slow-prism.py PORT CERT KEY DELAY_MS USER PASSWORD"""
import base64
import json
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, cert, key, delay_ms, user, password = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
answer = json.dumps({"metadata": {"kind": "cluster", "total_matches": 1},
                     "entities": [{"status": {"name": "Bench"}, "spec": {"name": "Bench"}, "metadata": {"kind": "cluster"}}]}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(delay_ms / 1000)
        ok = self.headers.get("Authorization") == expected
        body = answer if ok else b'{"state":"ERROR","code":401}'
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.request_queue_size = 1024
server = ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
