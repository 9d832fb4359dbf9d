"""Broken data files: each gives the package's own DataError naming the file and the problem.

The property tests feed random and mutated bytes to the IDX reader and to the
``.gz`` reading path: the answer is a DataError or a correct array, nothing else.
"""

import gzip
import io
import struct
import tempfile
from pathlib import Path

from tutorial17 import data
from tutorial17.errors import DataError

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NUM_TRAIN, NUM_TEST, VALIDATION = 12, 6, 4
# Enough examples to find a wrong exception type; small enough for CI.
FUZZ_SETTINGS = settings(max_examples=300, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow])


def _write_dataset(directory, num_train=NUM_TRAIN, num_test=NUM_TEST, seed=0):
    """Four small, valid IDX files in MNIST's layout (random pixels and classes)."""
    rng = np.random.default_rng(seed)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for images_name, labels_name, n in ((data.TRAIN_IMAGES, data.TRAIN_LABELS, num_train),
                                        (data.TEST_IMAGES, data.TEST_LABELS, num_test)):
        data.write_idx(directory / images_name, rng.integers(0, 256, (n, 28, 28)))
        data.write_idx(directory / labels_name, rng.integers(0, 10, n))
    return directory


def _read(directory):
    return data.read_data_sets(directory, validation_size=VALIDATION, download=False)


def _payload(path):
    return gzip.decompress(Path(path).read_bytes())


def _write_payload(path, payload):
    Path(path).write_bytes(gzip.compress(payload))


@pytest.fixture
def dataset(tmp_path):
    return _write_dataset(tmp_path / "idx")


def test_valid_small_dataset_loads(dataset):
    sets = _read(dataset)
    assert (sets.train.num_examples, sets.validation.num_examples,
            sets.test.num_examples) == (NUM_TRAIN - VALIDATION, VALIDATION, NUM_TEST)


def _not_gzip(path):
    path.write_bytes(b"this is not a gzip file at all\n" * 10)


def _truncated_gzip(path):
    path.write_bytes(path.read_bytes()[:-40])


def _corrupted_gzip(path):
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # inside the compressed stream: bad data or bad CRC
    path.write_bytes(bytes(raw))


def _empty_file(path):
    path.write_bytes(b"")


def _empty_payload(path):
    _write_payload(path, b"")


def _wrong_magic(path):
    payload = bytearray(_payload(path))
    payload[:4] = struct.pack(">I", 2052)
    _write_payload(path, bytes(payload))


def _count_larger_than_file(path):
    payload = bytearray(_payload(path))
    count = struct.unpack(">I", payload[4:8])[0]
    payload[4:8] = struct.pack(">I", count + 1)
    _write_payload(path, bytes(payload))


def _records_cut_short(path):
    _write_payload(path, _payload(path)[:-100])


def _extra_bytes(path):
    _write_payload(path, _payload(path) + b"\0" * 7)


def _directory_in_its_place(path):
    path.unlink()
    path.mkdir()


def _missing(path):
    path.unlink()


# (how the file is broken, which file, what the message must say)
BROKEN_FILES = [
    (_not_gzip, data.TRAIN_IMAGES, "not a readable gzip file"),
    (_truncated_gzip, data.TEST_LABELS, "not a readable gzip file"),
    (_corrupted_gzip, data.TRAIN_IMAGES, "not a readable gzip file"),
    (_empty_file, data.TEST_IMAGES, "too short to be an IDX file (0 bytes)"),
    (_empty_payload, data.TRAIN_LABELS, "too short to be an IDX file (0 bytes)"),
    (_wrong_magic, data.TEST_IMAGES, "wrong magic number 2052"),
    (_count_larger_than_file, data.TRAIN_LABELS, "header says 13 records"),
    (_records_cut_short, data.TEST_IMAGES, "truncated or corrupt"),
    (_extra_bytes, data.TRAIN_IMAGES, "truncated or corrupt"),
    (_directory_in_its_place, data.TEST_LABELS, "cannot read it"),
    (_missing, data.TRAIN_LABELS, "file not found"),
]


@pytest.mark.parametrize("breaker, name, problem", BROKEN_FILES,
                         ids=[b[0].__name__.strip("_") for b in BROKEN_FILES])
def test_broken_file_names_the_file_and_the_problem(dataset, breaker, name, problem):
    breaker(dataset / name)
    with pytest.raises(DataError) as info:
        _read(dataset)
    message = str(info.value)
    assert str(dataset / name) in message
    assert problem in message


def test_images_of_another_size(tmp_path):
    directory = _write_dataset(tmp_path / "idx")
    data.write_idx(directory / data.TEST_IMAGES, np.zeros((NUM_TEST, 32, 32)))
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte\.gz: images are 32x32, "
                                        r"expected 28x28"):
        _read(directory)


def test_images_and_labels_of_different_counts(tmp_path):
    directory = _write_dataset(tmp_path / "idx")
    data.write_idx(directory / data.TRAIN_LABELS, np.zeros(NUM_TRAIN - 1))
    with pytest.raises(DataError) as info:
        _read(directory)
    message = str(info.value)
    assert str(directory) in message and data.TRAIN_IMAGES in message
    assert f"holds {NUM_TRAIN} images but {data.TRAIN_LABELS} holds {NUM_TRAIN - 1} labels" \
        in message


def test_label_outside_0_to_9(tmp_path):
    directory = _write_dataset(tmp_path / "idx")
    labels = np.zeros(NUM_TEST)
    labels[3] = 10
    data.write_idx(directory / data.TEST_LABELS, labels)
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: label 10 outside 0-9"):
        _read(directory)


@pytest.mark.parametrize("images_name, labels_name", [(data.TRAIN_IMAGES, data.TRAIN_LABELS),
                                                       (data.TEST_IMAGES, data.TEST_LABELS)])
def test_swapped_images_and_labels_files(tmp_path, images_name, labels_name):
    directory = _write_dataset(tmp_path / "idx")
    a, b = directory / images_name, directory / labels_name
    a_bytes, b_bytes = a.read_bytes(), b.read_bytes()
    a.write_bytes(b_bytes)
    b.write_bytes(a_bytes)
    with pytest.raises(DataError, match=r"holds labels .*expected images.*swapped"):
        _read(directory)


def test_too_few_training_records_for_the_validation_split(tmp_path):
    directory = _write_dataset(tmp_path / "idx", num_train=VALIDATION)
    with pytest.raises(DataError, match="leaves no training records"):
        _read(directory)


# --- Property tests: random and mutated bytes. ---

def _oracle(payload):
    """What a correct IDX reader returns for ``payload``: an array, or None if invalid.

    Written independently of ``parse_idx`` from the format's definition.
    """
    if len(payload) < 8:
        return None
    magic, count = struct.unpack(">II", payload[:8])
    if magic == data.LABELS_MAGIC:
        dims, header = (count,), 8
    elif magic == data.IMAGES_MAGIC and len(payload) >= 16:
        dims, header = (count, *struct.unpack(">II", payload[8:16])), 16
    else:
        return None
    size = 1
    for d in dims:
        size *= d
    if len(payload) - header != size:
        return None
    try:
        return np.array(list(payload[header:]), dtype=np.uint8).reshape(dims)
    except ValueError:  # a shape numpy cannot hold, though it has no elements
        return None


def _idx(magic, dims, body):
    return struct.pack(">II", magic, dims[0]) + b"".join(struct.pack(">I", d) for d in dims[1:]) \
        + body


@st.composite
def idx_payloads(draw):
    """Valid IDX payloads of small images or labels files."""
    if draw(st.booleans()):
        count = draw(st.integers(0, 4))
        rows, cols = draw(st.integers(0, 5)), draw(st.integers(0, 5))
        body = draw(st.binary(min_size=count * rows * cols, max_size=count * rows * cols))
        return _idx(data.IMAGES_MAGIC, (count, rows, cols), body)
    count = draw(st.integers(0, 30))
    return _idx(data.LABELS_MAGIC, (count,), draw(st.binary(min_size=count, max_size=count)))


@st.composite
def mutated(draw, valid):
    """``valid`` bytes with a few bytes flipped, cut, inserted or a header field overwritten."""
    raw = bytearray(draw(valid))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "field"]))
        if kind == "flip" and raw:
            i = draw(st.integers(0, len(raw) - 1))
            raw[i] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del raw[draw(st.integers(0, len(raw))):]
        elif kind == "insert":
            i = draw(st.integers(0, len(raw)))
            raw[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "field" and len(raw) >= 16:
            i = 4 * draw(st.integers(0, 3))
            raw[i:i + 4] = struct.pack(">I", draw(st.sampled_from(
                [0, 1, 28, 2049, 2051, 2**31, 2**32 - 1, draw(st.integers(0, 2**32 - 1))])))
    return bytes(raw)


ANY_PAYLOAD = st.one_of(st.binary(max_size=64), idx_payloads(), mutated(idx_payloads()))


def _check_parse(payload):
    expected = _oracle(payload)
    try:
        array = data.parse_idx(payload, name="fuzz.idx")
    except DataError as e:
        assert expected is None, f"valid payload refused: {e}"
        assert str(e).startswith("fuzz.idx: ")
        return
    assert expected is not None, "invalid payload accepted"
    assert array.dtype == np.uint8 and array.shape == expected.shape
    # The bytes, not assert_array_equal: numpy 1.18 (TensorFlow 1.15's) cannot allocate
    # the comparison's result for an empty array such as (2**24, 2**24, 0).
    assert array.tobytes() == expected.tobytes()


@FUZZ_SETTINGS
@given(ANY_PAYLOAD)
def test_parse_idx_gives_data_error_or_the_correct_array(payload):
    _check_parse(payload)


@pytest.mark.parametrize("dims", [(2**31, 2**31, 4), (2**32 - 1, 0, 2**32 - 1), (2**32 - 1,)])
def test_parse_idx_huge_header_counts(dims):
    # Products that overflow 64 bits, or are zero, must not fool the size check.
    magic = data.IMAGES_MAGIC if len(dims) == 3 else data.LABELS_MAGIC
    _check_parse(_idx(magic, dims, b""))


def _gzip(payload):
    """``payload`` gzipped with a fixed header time, so an example repeats
    (``gzip.compress`` takes no ``mtime`` before Python 3.8)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as f:
        f.write(payload)
    return buffer.getvalue()


@st.composite
def gz_files(draw):
    """Random bytes, a valid gzip of an IDX payload, or such a gzip mutated."""
    gz = idx_payloads().map(_gzip)
    return draw(st.one_of(st.binary(max_size=200), gz, mutated(gz)))


@FUZZ_SETTINGS
@given(gz_files())
def test_reading_a_gz_file_gives_data_error_or_the_correct_array(raw):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz-idx.gz"
        path.write_bytes(raw)
        try:
            payload, _ = data._read_payload(path)
        except DataError as e:
            assert str(e).startswith(f"{path}: ")
            return
        _check_parse(payload)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(data.FILE_NAMES), st.one_of(st.binary(max_size=100), idx_payloads(),
                                                   mutated(idx_payloads())))
def test_read_data_sets_with_one_file_replaced_gives_data_error_or_data(name, payload):
    with tempfile.TemporaryDirectory() as tmp:
        directory = _write_dataset(Path(tmp) / "idx")
        _write_payload(directory / name, payload)
        try:
            sets = _read(directory)
        except DataError:
            return
        assert sets.train.images.shape[1] == data.img_size_flat
        assert len(sets.train.images) == len(sets.train.cls)
        assert len(sets.test.images) == len(sets.test.cls)


# --- Downloads that stop half-way. ---

class _ResponseThatStops:
    """A download response that yields some bytes, then raises ``error``."""

    def __init__(self, error):
        self.error, self.sent = error, False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def read(self, n):
        if not self.sent:
            self.sent = True
            return b"\x1f\x8b" + b"\0" * 1000  # the start of something gzip-like
        raise self.error


def test_ctrl_c_during_a_download_leaves_no_file(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        data.download_file(data.TEST_LABELS, tmp_path,
                           urlopen=lambda url: _ResponseThatStops(KeyboardInterrupt()))
    assert list(tmp_path.iterdir()) == []


def test_directory_in_a_files_place_is_not_downloaded_over(tmp_path, tiny_data_dir):
    import shutil

    directory = tmp_path / "idx"
    shutil.copytree(tiny_data_dir, directory)
    (directory / data.TEST_LABELS).unlink()
    (directory / data.TEST_LABELS).mkdir()

    def no_network(url):
        raise AssertionError(f"tried to download {url}")

    assert data.ensure_files(directory, urlopen=no_network) == []
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: cannot read it"):
        data.read_data_sets(directory)
