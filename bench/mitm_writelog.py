"""mitmdump addon for the capture benchmark: what an operator would otherwise reach for.
Appends each Neutron write (request and answer) to a JSON-lines file and fsyncs it.
The file is $MITM_WRITELOG."""

import json
import os

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class WriteLog:
    def __init__(self) -> None:
        self.fd = os.open(os.environ["MITM_WRITELOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def response(self, flow) -> None:
        request = flow.request
        if request.method in WRITES and "/v2.0/" in request.path:
            record = {
                "method": request.method,
                "path": request.path,
                "body": request.get_text(),
                "status": flow.response.status_code,
                "response": flow.response.get_text(),
            }
            os.write(self.fd, json.dumps(record).encode() + b"\n")
            os.fsync(self.fd)


addons = [WriteLog()]
