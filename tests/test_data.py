"""Loading, checking, splitting and downloading MNIST."""

import gzip
import http.server
import shutil
import threading
import urllib.error
from functools import partial

from tutorial17 import data
from tutorial17.errors import DataError

import numpy as np
import pytest

from conftest import TINY_TEST_RECORDS, TINY_TRAIN_RECORDS

FIRST_TRAIN_CLASSES = [7, 3, 4, 6, 1, 8, 1, 0, 9, 8]
FIRST_TEST_CLASSES = [7, 2, 1, 0, 4, 1, 4, 9, 5]


def test_constants():
    assert (data.img_size, data.img_size_flat, data.img_shape) == (28, 784, (28, 28))
    assert (data.num_channels, data.num_classes) == (1, 10)


def test_split_sizes_on_tiny_slice(tiny_data):
    assert tiny_data.validation.num_examples == data.VALIDATION_SIZE
    assert tiny_data.train.num_examples == TINY_TRAIN_RECORDS - data.VALIDATION_SIZE
    assert tiny_data.test.num_examples == TINY_TEST_RECORDS


@pytest.mark.parametrize("split", ["train", "validation", "test"])
def test_arrays_have_documented_types(tiny_data, split):
    ds = getattr(tiny_data, split)
    assert ds.images.dtype == np.float32 and ds.images.shape == (ds.num_examples, 784)
    assert ds.images.min() >= 0.0 and ds.images.max() <= 1.0 and ds.images.max() > 0.9
    assert ds.labels.dtype == np.float32 and ds.labels.shape == (ds.num_examples, 10)
    assert ds.cls.dtype == np.int64 and ds.cls.shape == (ds.num_examples,)
    np.testing.assert_array_equal(ds.labels.argmax(axis=1), ds.cls)
    np.testing.assert_array_equal(ds.labels.sum(axis=1), 1.0)


def test_first_classes_match_the_walkthrough(tiny_data):
    assert tiny_data.train.cls[:10].tolist() == FIRST_TRAIN_CLASSES
    assert tiny_data.test.cls[:9].tolist() == FIRST_TEST_CLASSES


def test_full_mnist_split_and_class_counts():
    full = data.read_data_sets()
    assert (full.train.num_examples, full.validation.num_examples,
            full.test.num_examples) == (55000, 5000, 10000)
    train_counts = np.bincount(np.concatenate([full.validation.cls, full.train.cls]))
    assert train_counts.tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert full.train.cls[:10].tolist() == FIRST_TRAIN_CLASSES


def test_default_dir_works_from_any_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    assert (data.default_data_dir() / data.TRAIN_IMAGES).is_file()


def test_environment_variable_overrides_default(tmp_path, monkeypatch, tiny_data_dir):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tiny_data_dir))
    assert data.default_data_dir() == tiny_data_dir
    assert data.read_data_sets().test.num_examples == TINY_TEST_RECORDS


def _mnist_copy(tmp_path):
    copy = tmp_path / "MNIST"
    shutil.copytree(data.default_data_dir(), copy)
    return copy


def _regzip_with_flipped_byte(path, offset):
    payload = bytearray(gzip.decompress(path.read_bytes()))
    payload[offset] ^= 0xFF
    path.write_bytes(gzip.compress(bytes(payload)))


def test_corrupted_copy_fails_the_checksum(tmp_path):
    copy = _mnist_copy(tmp_path)
    # A valid gzip of a valid IDX file whose pixels differ: only the checksum can tell.
    _regzip_with_flipped_byte(copy / data.TEST_IMAGES, offset=1000)
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz.*checksum"):
        data.read_data_sets(copy)


def test_truncated_gzip_names_the_file(tmp_path):
    copy = _mnist_copy(tmp_path)
    target = copy / data.TRAIN_LABELS
    target.write_bytes(target.read_bytes()[:1000])
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz"):
        data.read_data_sets(copy)


def test_other_dataset_in_idx_layout_loads_without_checksums(tiny_data_dir):
    # None of the tiny slice's files has MNIST's full payload: another dataset.
    assert data.read_data_sets(tiny_data_dir).train.num_examples == 300
    with pytest.raises(DataError, match="checksum"):
        data.read_data_sets(tiny_data_dir, verify=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def mirror():
    """A local HTTP server serving the real MNIST files, as the canonical mirror would."""
    handler = partial(_QuietHandler, directory=str(data.default_data_dir()))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_missing_files_are_downloaded_and_verified(tmp_path, mirror):
    copy = _mnist_copy(tmp_path)
    (copy / data.TEST_LABELS).unlink()
    (copy / data.TEST_IMAGES).unlink()
    fetched = data.ensure_files(copy, base_url=mirror)
    assert sorted(fetched) == sorted([data.TEST_LABELS, data.TEST_IMAGES])
    assert data.read_data_sets(copy, verify=True).test.cls[:9].tolist() == FIRST_TEST_CLASSES
    assert sorted(p.name for p in copy.iterdir()) == sorted(data.FILE_NAMES)


def test_download_failing_checksum_leaves_no_file(tmp_path, mirror):
    # The "mirror" serves the labels under the images' name: wrong content.
    def swapped_urlopen(url):
        import urllib.request
        return urllib.request.urlopen(url.replace(data.TEST_IMAGES, data.TEST_LABELS))

    with pytest.raises(DataError, match="checksum"):
        data.download_file(data.TEST_IMAGES, tmp_path, base_url=mirror, urlopen=swapped_urlopen)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_download_leaves_no_file(tmp_path):
    class Broken:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, n):
            raise ConnectionResetError("connection lost mid-file")

    with pytest.raises(DataError, match="download .*failed.*ConnectionResetError"):
        data.ensure_files(tmp_path, urlopen=lambda url: Broken())
    assert list(tmp_path.iterdir()) == []


def test_offline_error_names_missing_files_and_where(tmp_path):
    def offline(url):
        raise urllib.error.URLError("no route to host")

    with pytest.raises(DataError) as info:
        data.ensure_files(tmp_path, urlopen=offline)
    message = str(info.value)
    for name in data.FILE_NAMES:
        assert name in message
    assert str(tmp_path) in message and data.DATA_DIR_ENV in message
