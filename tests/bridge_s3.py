"""moto's S3 server on loopback with IAM enforced, for the calendar bridge: an admin sets up the bucket and two
users — a writer that may only put the one object, a reader that may only get it — then moto checks every
request's signature and policy, as S3 would. Real boto3 (and django-storages, httpx) on the other side."""

import json
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BUCKET = "alfred-bridge-test"
OBJECT = "busy-blocks.json"


@dataclass(frozen=True)
class Keys:
    access_key: str
    secret_key: str


@dataclass(frozen=True)
class BridgeBucket:
    endpoint: str
    writer: Keys
    reader: Keys

    def client(self, keys: Keys) -> object:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=keys.access_key,
            aws_secret_access_key=keys.secret_key,
        )


def _user(iam: object, name: str, action: str) -> Keys:
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": f"arn:aws:s3:::{BUCKET}/{OBJECT}"}],
    }
    iam.create_user(UserName=name)  # type: ignore[attr-defined]
    iam.put_user_policy(UserName=name, PolicyName=f"{name}-bridge", PolicyDocument=json.dumps(policy))  # type: ignore[attr-defined]
    key = iam.create_access_key(UserName=name)["AccessKey"]  # type: ignore[attr-defined]
    return Keys(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])


@pytest.fixture(scope="module")
def bridge_bucket() -> Iterator[BridgeBucket]:
    import boto3
    from moto import settings as moto_settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    admin = {
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "aws_access_key_id": "admin",
        "aws_secret_access_key": "admin",
    }
    boto3.client("s3", **admin).create_bucket(Bucket=BUCKET)
    iam = boto3.client("iam", **admin)
    # moto keeps its accounts per process, not per server: each module that starts a server names its own users.
    run = uuid.uuid4().hex[:8]
    writer = _user(iam, f"biz-bridge-writer-{run}", "s3:PutObject")
    reader = _user(iam, f"home-bridge-reader-{run}", "s3:GetObject")
    # From here on moto authenticates and authorises every request (process-wide: restored below).
    previous = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = ActionAuthenticatorMixin.request_count
    try:
        yield BridgeBucket(endpoint=endpoint, writer=writer, reader=reader)
    finally:
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = previous
        server.stop()


def put_as_writer(bucket: BridgeBucket, body: bytes) -> None:
    """Biz's stand-in for the home tests: the writer's key puts the object (the only thing it may do)."""
    bucket.client(bucket.writer).put_object(Bucket=BUCKET, Key=OBJECT, Body=body)  # type: ignore[attr-defined]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def manage(instance: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``manage.py ARGS`` as one instance's own process, configured only by ``env``."""
    return subprocess.run(
        [sys.executable, "manage.py", *args, f"--settings=settings.{instance}"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
