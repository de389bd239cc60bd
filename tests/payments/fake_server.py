"""What every local fake of a payment provider's HTTP API shares: a werkzeug server on a free loopback port in a
daemon thread, started and stopped by the test, and one `handle(request) -> Response` per fake."""
import threading

from werkzeug.serving import make_server
from werkzeug.wrappers import Request


class LocalFakeServer:
    def __init__(self):
        self.lock = threading.Lock()
        self.server = None
        self.thread = None
        self.url = None

    def handle(self, request: Request):
        raise NotImplementedError

    def start(self) -> str:
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        return self.url

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def wsgi(self, environ, start_response):
        return self.handle(Request(environ))(environ, start_response)
