"""Helpers for tests against the S3 servers: fresh names, emptying buckets, watching calls."""

from __future__ import annotations

import time
import uuid
from typing import Any

__all__ = ["CallRecorder", "empty_bucket", "fail_requests", "lose_responses", "unique_name"]


def unique_name(prefix: str = "t") -> str:
    """A fresh name, valid as an fs storage name and as an S3 bucket name."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def empty_bucket(client: Any, bucket: str, prefix: str = "", delete_bucket: bool = False) -> None:
    """Delete every key under ``prefix`` and abort unfinished multipart uploads; then the
    bucket itself if asked. A bucket that does not exist is left alone. A bucket that is not
    empty when it is deleted (a request of a test's killed child process, still in the
    server, wrote to it after the listing) is emptied again, a few times, a second apart.

    ``client`` must be able to send DeleteObjects to the server (against Swift's s3api, a
    client with a Content-MD5 hook, such as fs-s3's).
    """
    for attempt in range(5):
        try:
            _empty(client, bucket, prefix, delete_bucket)
            return
        except client.exceptions.ClientError as exc:
            if attempt == 4 or exc.response.get("Error", {}).get("Code") != "BucketNotEmpty":
                raise
            time.sleep(1)


def _empty(client: Any, bucket: str, prefix: str, delete_bucket: bool) -> None:
    try:
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", ())]
            if keys:
                client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        uploads = client.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", ())
        for upload in uploads:
            client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        if delete_bucket:
            client.delete_bucket(Bucket=bucket)
    except client.exceptions.NoSuchBucket:
        pass


class CallRecorder:
    """Records the operations (and their parameters) boto3 clients make, for assertions such
    as "one GET, with this Range" or "no byte went through the app"."""

    def __init__(self, *clients: Any) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        for client in clients:
            # After the client's own before-parameter-build hooks: what is really sent.
            client.meta.events.register("before-parameter-build.s3", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.name, dict(params)))

    def named(self, operation: str) -> list[dict[str, Any]]:
        """The parameters of each call of ``operation`` (``'GetObject'``…), in order."""
        return [params for name, params in self.calls if name == operation]

    def count(self, operation: str) -> int:
        return len(self.named(operation))


class _ErrorBody:
    """The raw body of an injected error response (what botocore reads from urllib3's)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def fail_requests(
    client: Any, operation: str, times: int = 1, status: int = 500, code: str = "InternalError"
) -> list[int]:
    """Answer the next ``times`` requests of ``operation`` (``'PutObject'``…) made by
    ``client`` with an S3 error, without sending them: a transient failure of the service,
    which botocore retries like a real one. Returns a one-item list counting the requests
    still to fail."""
    from botocore.awsrequest import AWSResponse, HTTPHeaders

    left = [times]
    body = f"<Error><Code>{code}</Code><Message>injected by the test</Message></Error>".encode()

    def answer(request: Any, **_: Any) -> Any:
        if left[0] <= 0:
            return None
        left[0] -= 1
        headers = HTTPHeaders.from_dict({"Content-Type": "application/xml"})
        return AWSResponse(request.url, status, headers, _ErrorBody(body))

    client.meta.events.register(f"before-send.s3.{operation}", answer)
    return left


def lose_responses(client: Any, operation: str, times: int = 1) -> list[int]:
    """Send the next ``times`` requests of ``operation`` made by ``client`` to the server,
    then lose its answer (the connection closes before the response arrives): the service
    did the work, and botocore retries the request as it would after a network failure.
    Returns a one-item list counting the answers still to lose."""
    from botocore.exceptions import ConnectionClosedError
    from botocore.httpsession import URLLib3Session

    left = [times]
    http = URLLib3Session()

    def send_then_lose(request: Any, **_: Any) -> None:
        if left[0] <= 0:
            return
        left[0] -= 1
        http.send(request)  # the service answers (botocore reads it whole); the client never sees it
        raise ConnectionClosedError(endpoint_url=request.url)

    client.meta.events.register(f"before-send.s3.{operation}", send_then_lose)
    return left
