#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A scriptable HTTP server for the agent's HTTP output tests.

    http_server.py PORT LOG [ACTION,ACTION,...] [--cert PEM --key PEM
                   [--client-ca PEM]]

With --cert/--key it speaks HTTPS; with --client-ca it also demands a
client certificate signed by that CA.

Each request to any path but /_ctl takes the next ACTION of the plan
(200 once the plan is used up, or what /_ctl/default set):

    200 | 201 | 204      answer that status (the batch is delivered)
    500 | 503 | 400 ...  answer that status with a short text body
    429:N | 503:N        that status with "Retry-After: N"
    hang                 read the request, never answer (until stopped)
    close                read the request, close the connection
    ACTION@SECONDS       answer as ACTION after SECONDS

POST /_ctl/plan appends the body's actions; POST /_ctl/default sets the
action used once the plan is empty.  Every data request is logged to
LOG as one JSON line: time, action, status (0 if none was sent), method,
path, headers, body (parsed JSON, or the text if it does not parse).
Only a request logged with a 2xx status counts as delivered.
"""
import argparse
import json
import socketserver
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

lock = threading.Lock()
plan = []
default = ['200']
log = None


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def reply(self, status, body=b'', extra=()):
        self.send_response(status)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get('Content-Length', 0))
        data = self.rfile.read(n)
        if self.path.startswith('/_ctl/'):
            acts = [a for a in data.decode().split(',') if a]
            with lock:
                if self.path == '/_ctl/plan':
                    plan.extend(acts)
                else:
                    default[0] = acts[0]
            return self.reply(204)
        with lock:
            act = plan.pop(0) if plan else default[0]
        try:
            body = json.loads(data)
        except ValueError:
            body = data.decode(errors='replace')
        rec = {'t': time.time(), 'action': act, 'status': 0,
               'method': self.command, 'path': self.path,
               'headers': {k.lower(): v for k, v in self.headers.items()},
               'body': body}
        if act == 'hang':
            with lock:
                log.write(json.dumps(rec) + '\n')
            time.sleep(3600)
            return
        if act == 'close':
            with lock:
                log.write(json.dumps(rec) + '\n')
            self.close_connection = True
            return
        act, _, delay = act.partition('@')
        if delay:
            time.sleep(float(delay))
        rec['done'] = time.time()
        code, _, after = act.partition(':')
        rec['status'] = int(code)
        with lock:
            log.write(json.dumps(rec) + '\n')
        if 200 <= int(code) < 300:
            return self.reply(int(code))
        extra = [('Retry-After', after)] if after else []
        self.reply(int(code), b'test server says %s\n' % code.encode(), extra)

    do_POST = do_PUT = handle_any


def main():
    global log
    ap = argparse.ArgumentParser()
    ap.add_argument('port', type=int)
    ap.add_argument('log')
    ap.add_argument('plan', nargs='?', default='')
    ap.add_argument('--cert')
    ap.add_argument('--key')
    ap.add_argument('--client-ca')
    args = ap.parse_args()
    plan.extend(a for a in args.plan.split(',') if a)
    log = open(args.log, 'a', buffering=1)
    srv = Server(('127.0.0.1', args.port), Handler)
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        if args.client_ca:
            ctx.load_verify_locations(args.client_ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == '__main__':
    main()
