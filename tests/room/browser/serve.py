# SPDX-License-Identifier: BSD-2-Clause
"""The browser room test's web server: serves the test pages, janus.js and
adapter.js, prints the pages' log lines, and takes the subscriber's result.

usage: serve.py ROOT ADDRESS PORT OUT_DIR TIMEOUT_S
Serves ROOT at http://ADDRESS:PORT/. POST /log {"line": ...} prints a line;
POST /result {"ok": ..., "png": "data:image/png;base64,..."} writes
OUT_DIR/result.json and OUT_DIR/subscriber.png and ends the server: exit
status 0. No result within TIMEOUT_S seconds: exit status 1.
"""
import base64
import functools
import http.server
import json
import sys
import threading


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        try:
            body = json.loads(self.rfile.read(length))
        except json.JSONDecodeError as error:
            self.send_error(400, f"not JSON: {error}")
            return
        self.send_response(204)
        self.end_headers()
        if self.path == "/log":
            print(f"page: {body.get('line')}", flush=True)
        elif self.path == "/result":
            self.server.take_result(body)

    def log_message(self, format, *args):
        pass  # the pages' own lines are the log


class Server(http.server.ThreadingHTTPServer):
    def __init__(self, address, root, out_dir):
        super().__init__(address, functools.partial(Handler, directory=root))
        self.out_dir = out_dir
        self.result = None

    def take_result(self, body):
        if self.result is not None:
            return  # the first result counts
        png = body.pop("png", None)
        if png:
            prefix = "data:image/png;base64,"
            if png.startswith(prefix):
                with open(f"{self.out_dir}/subscriber.png", "wb") as file:
                    file.write(base64.b64decode(png[len(prefix):]))
                body["png_file"] = f"{self.out_dir}/subscriber.png"
        with open(f"{self.out_dir}/result.json", "w") as file:
            json.dump(body, file)
        self.result = body
        threading.Thread(target=self.shutdown).start()


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    root, address, port, out_dir, timeout_s = sys.argv[1:]
    server = Server((address, int(port)), root, out_dir)
    timer = threading.Timer(float(timeout_s), server.shutdown)
    timer.start()
    print(f"serve.py: serving {root} at http://{address}:{port}/", flush=True)
    server.serve_forever()
    timer.cancel()
    if server.result is None:
        sys.exit(f"serve.py: no result from the subscriber page within {timeout_s} s")


main()
