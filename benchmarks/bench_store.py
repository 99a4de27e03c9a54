"""fs-store's ``save`` against what Flask-Store did, in the same run.

* **Local disk**: ``store.Provider().save(upload)`` (fs-local: a safe name, a unique suffix
  when taken, an atomic create-only write) against Flask-Store's ``LocalStore.save``, which
  is werkzeug's ``FileStorage.save(path)`` (no check, overwrites). 2,000 uploads of 4 KiB and
  100 of 1 MiB, from memory, as a request's files are.
* **S3 (moto in server mode)**: how long the request waits in ``save``. Flask-Store's
  ``S3Store`` uploaded in the request; its ``S3GeventStore`` handed the upload to a greenlet.
  Here: ``S3Store`` (fs-s3, in the request), ``S3GeventStore`` (spooled to disk, fsynced,
  transferred by a pool of 4 threads; by default the name is checked against the bucket in
  the request, with ``STORE_BACKGROUND_UNIQUE_NAMES`` it is not), against plain
  ``boto3.upload_fileobj`` in the request: how long the saves take to return, and until the
  last background transfer is stored.

Ratios are the baseline's time / fs-store's (1.0: as fast; above: faster); each run measures
every contender in a rotating order, and the table shows the median and range of the ratios.

    ./dev bench bench_store [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import tempfile
import time
from collections.abc import Callable

from _common import paired, ratio_row, table
from werkzeug.datastructures import FileStorage

MiB = 1 << 20


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def local(runs: int, base: str) -> list[list[object]]:
    from flask import Flask

    from fs_store import Store

    raw_dir, root = os.path.join(base, "flask-store"), os.path.join(base, "fs-store")
    app = Flask("bench_store", instance_path=os.path.join(base, "instance"))
    app.config.update(STORE_PATH=root)
    store = Store(app)

    def reset() -> None:
        for folder in (raw_dir, root):
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder)
        os.sync()

    rows = []
    for label, size, count in (("4 KiB x 2,000", 4096, 2000), ("1 MiB x 100", MiB, 100)):
        data = os.urandom(size)

        def flask_store(data: bytes = data, count: int = count) -> None:
            for i in range(count):  # LocalStore.save: file.save(join(STORE_PATH, filename))
                FileStorage(io.BytesIO(data), filename=f"f{i}.bin").save(os.path.join(raw_dir, f"f{i}.bin"))

        def fs_store(data: bytes = data, count: int = count) -> None:
            with app.test_request_context():
                provider = store.Provider()
                for i in range(count):
                    provider.save(FileStorage(io.BytesIO(data), filename=f"f{i}.bin"))

        times = paired(runs, {"Flask-Store": flask_store, "fs-store": fs_store}, reset)
        rows.append(
            ratio_row(label, "save / FileStorage.save", count, times["Flask-Store"], times["fs-store"])
        )
    return rows


def s3(runs: int, base: str) -> list[list[object]]:
    import boto3
    from flask import Flask

    from fs_store import Store
    from fs_testservers import MotoServer

    server = MotoServer()
    server.start()
    try:
        plain = boto3.client("s3", **server.client_kwargs())
        plain.create_bucket(Bucket="bench-raw")
        apps = {}
        variants = {
            "S3Store": ("S3Store", {}),
            "S3GeventStore": ("S3GeventStore", {}),
            "S3GeventStore, unique names": ("S3GeventStore", {"STORE_BACKGROUND_UNIQUE_NAMES": True}),
        }
        for key, (provider, extra) in variants.items():
            app = Flask(f"bench_{len(apps)}", instance_path=os.path.join(base, str(len(apps))))
            app.config.update(
                STORE_PROVIDER=f"flask_store.stores.s3.{provider}",
                STORE_S3_BUCKET=f"bench-{len(apps)}",
                STORE_S3_REGION=server.region,
                STORE_S3_ACCESS_KEY=server.access_key,
                STORE_S3_SECRET_KEY=server.secret_key,
                STORE_FS_ENDPOINT=server.endpoint,
                **extra,
            )
            apps[key] = (app, Store(app))
            with app.test_request_context():
                apps[key][1].storage.write("warm-up.txt", b"x")
        rows = []
        for label, size, count in (("64 KiB x 200", 64 * 1024, 200), ("32 MiB x 4", 32 * MiB, 4)):
            data = os.urandom(size)
            waited: dict[str, list[float]] = {key: [] for key in apps}

            def raw(data: bytes = data, count: int = count) -> None:
                for i in range(count):
                    plain.upload_fileobj(io.BytesIO(data), "bench-raw", f"f{i}.bin")

            def saver(
                key: str, data: bytes = data, count: int = count, waited: dict = waited
            ) -> Callable[[], None]:
                app, store = apps[key]

                def save() -> None:
                    with app.test_request_context():
                        p = store.Provider()
                        for i in range(count):
                            p.save(FileStorage(io.BytesIO(data), filename=f"f{i}.bin"))
                    with app.app_context():  # then until every transfer is stored (timed apart)
                        waited[key].append(timed(store.background.wait))

                return save

            def reset() -> None:
                for app, store in apps.values():
                    with app.app_context():
                        store.background.wait()
                        for name in list(store.storage.list_files()):
                            if name != "warm-up.txt":
                                store.storage.delete(name)

            times = paired(runs, {"boto3": raw, **{key: saver(key) for key in apps}}, reset)
            base_times = times["boto3"]
            rows.append(ratio_row(label, "S3Store.save", count, base_times, times["S3Store"]))
            for key in list(apps)[1:]:
                returned = [t - w for t, w in zip(times[key], waited[key], strict=True)]
                rows.append(ratio_row(label, f"{key}: save returns", count, base_times, returned))
                rows.append(ratio_row(label, f"{key}: all stored", count, base_times, times[key]))
        return rows
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix="fs-bench-store-")
    header = [
        "workload",
        "operation",
        "baseline files/s",
        "fs-store files/s",
        "ratio (median)",
        "ratio range",
    ]
    try:
        table(
            f"fs-store save vs Flask-Store's LocalStore.save, local disk ({args.runs} runs)",
            header,
            local(args.runs, base),
        )
        table(
            f"fs-store save vs boto3 in the request, S3 on moto ({args.runs} runs)",
            header,
            s3(args.runs, base),
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
