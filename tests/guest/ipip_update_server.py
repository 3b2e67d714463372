#!/usr/bin/env python3
"""The provider's update server for tests/guest/ipip_test.sh: records each
request's path, query and Authorization header as one JSON line in LOG and
answers 200, or 503 while the file FAIL exists.
Usage: ipip_update_server.py ADDRESS PORT LOG FAIL"""
import http.server
import json
import os
import socket
import sys

address, port, log, fail = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path, _, query = self.path.partition("?")
        code = 503 if os.path.exists(fail) else 200
        with open(log, "a") as f:
            f.write(json.dumps({"path": path, "query": query, "authorization": self.headers.get("Authorization"),
                                "code": code}) + "\n")
        body = b"good\n" if code == 200 else b"busy\n"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.HTTPServer):
    address_family = socket.AF_INET6


Server((address, port), Handler).serve_forever()
