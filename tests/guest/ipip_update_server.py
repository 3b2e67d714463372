#!/usr/bin/env python3
"""The provider's update server for tests/guest/ipip_test.sh: records each
request's path, query and Authorization header as one JSON line in LOG and
answers 200, or 503 while the file FAIL exists; with CERT and KEY, over TLS.
Usage: ipip_update_server.py ADDRESS PORT LOG FAIL [CERT KEY]"""
import http.server
import json
import os
import socket
import ssl
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


server = Server((address, port), Handler)
if len(sys.argv) > 6:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[5], sys.argv[6])
    server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
