"""The mock upstream (tests/mock_upstream/server.mjs) under node on a free loopback port, for the
whole session; LLMUX_NODE names node (CTest sets it), else node from PATH."""
import json
import os
import pathlib
import subprocess
import urllib.parse
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "wire"


class MockUpstream:
    def __init__(self):
        node = os.environ.get("LLMUX_NODE", "node")
        self.process = subprocess.Popen(
            [node, str(ROOT / "tests" / "mock_upstream" / "server.mjs"), "--port", "0"],
            stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("listening "):
            self.process.kill()
            raise RuntimeError(f"the mock upstream did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"
        self.api_base = self.url + "/v1"

    def requests(self):
        with urllib.request.urlopen(self.url + "/__mock/requests") as answer:
            return json.load(answer)

    def wait_for(self, event, model):
        """The record of the first request for `model` once it arrived (event "received") or its
        response was abandoned by its client ("aborted"); an error after 10 s."""
        query = urllib.parse.urlencode({"event": event, "model": model})
        with urllib.request.urlopen(f"{self.url}/__mock/wait?{query}", timeout=10) as answer:
            return json.load(answer)

    def service_account(self, name):
        """A throwaway service account's key file (JSON text) whose token_uri is the mock's token
        endpoint, which is told to trust its key (a fresh RSA key made by openssl)."""
        private_pem = subprocess.run(
            ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            check=True, capture_output=True, text=True).stdout
        public_pem = subprocess.run(["openssl", "pkey", "-pubout"], input=private_pem, check=True,
                                    capture_output=True, text=True).stdout
        email = f"{name}@llmux-test-project.iam.gserviceaccount.com"
        token_uri = self.url + "/token"
        trust = json.dumps({"clientEmail": email, "publicKeyPem": public_pem,
                            "audience": token_uri}).encode()
        urllib.request.urlopen(urllib.request.Request(
            self.url + "/__mock/trust", data=trust, method="POST")).close()
        return json.dumps({"type": "service_account", "project_id": "llmux-test-project",
                           "private_key_id": name, "private_key": private_pem,
                           "client_email": email, "token_uri": token_uri})

    def stop(self):
        self.process.terminate()
        self.process.wait()
        self.process.stdout.close()


@pytest.fixture(scope="session")
def mock():
    upstream = MockUpstream()
    yield upstream
    upstream.stop()


def fixture_json(path):
    return json.loads((FIXTURES / path).read_text())


def fixture_stream_text(path):
    """The text a client assembles from a recorded OpenAI stream's content deltas."""
    text = ""
    for line in (FIXTURES / path).read_text().splitlines():
        if line.startswith("data: {"):
            choices = json.loads(line[6:])["choices"]
            if choices:
                text += choices[0]["delta"].get("content") or ""
    return text
