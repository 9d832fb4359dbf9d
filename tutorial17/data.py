"""MNIST: the four IDX files, their checksums, the download, and the three-way split.

The split is the walkthrough's: validation is the first 5,000 records of the
training file, train is the remaining 55,000, test is the 10,000-record test file.
Any dataset stored in the same four-file IDX layout (Fashion-MNIST, for one)
loads from a given directory too; the checksums apply to the MNIST files only.
"""

import gzip
import hashlib
import os
import struct
import tempfile
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from . import paths
from .errors import DataError

# --- Constants used throughout the walkthrough (step 2). ---
img_size = 28
img_size_flat = img_size * img_size
img_shape = (img_size, img_size)
num_channels = 1
num_classes = 10

VALIDATION_SIZE = 5000
"""Records taken from the start of the training file for the validation split."""

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
FILE_NAMES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

# SHA-256 of the *decompressed* IDX payload: gzip headers differ between
# mirrors, the payload does not.
MNIST_SHA256 = {
    TRAIN_IMAGES: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    TRAIN_LABELS: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    TEST_IMAGES: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    TEST_LABELS: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

MNIST_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
"""The mirror TensorFlow 1 itself downloaded MNIST from (same file names)."""

DATA_DIR_ENV = "TUTORIAL17_DATA_DIR"
"""Environment variable that overrides the default data directory."""

IMAGES_MAGIC = 2051  # IDX: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # IDX: unsigned bytes, 1 dimension
_HEADER_BYTES = {IMAGES_MAGIC: 16, LABELS_MAGIC: 8}

def default_data_dir():
    """Return the directory MNIST is read from when none is given.

    ``$TUTORIAL17_DATA_DIR`` if set; else the repository's ``data/MNIST`` (see
    :mod:`tutorial17.paths`: any working directory works); else, for an installed
    copy without the repository, ``~/.cache/tutorial17/MNIST``.
    """
    from_env = os.environ.get(DATA_DIR_ENV)
    if from_env:
        return Path(from_env).expanduser()
    if paths.IN_REPO and paths.REPO_DATA_DIR.is_dir():
        return paths.REPO_DATA_DIR
    return paths.CACHE_DIR / "MNIST"


class DataSet:
    """One split of the data, with its images, labels and class numbers.

    ``images`` (N×784 float32 in [0, 1]), ``labels`` (N×10 one-hot float32),
    ``cls`` (N int64 class numbers) and ``num_examples``.
    """

    def __init__(self, images, cls):
        self.images = images
        self.cls = cls
        self.labels = np.eye(num_classes, dtype=np.float32)[cls]
        self.num_examples = len(cls)

    def __repr__(self):
        return f"DataSet(num_examples={self.num_examples})"


class DataSets:
    """The three splits, as ``.train``, ``.validation`` and ``.test``."""

    def __init__(self, train, validation, test, data_dir):
        self.train = train
        self.validation = validation
        self.test = test
        self.data_dir = data_dir

    def __repr__(self):
        return (f"DataSets(train={self.train.num_examples}, "
                f"validation={self.validation.num_examples}, "
                f"test={self.test.num_examples}, data_dir='{self.data_dir}')")


# --- Reading IDX files. ---

def _decompress(path):
    """Return the decompressed bytes of a ``.gz`` file, or raise a DataError naming it."""
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (IsADirectoryError, PermissionError) as e:
        raise DataError(f"{path}: cannot read it ({e.strerror}); "
                        "it must be a readable .gz file") from None
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: not a readable gzip file ({e}); "
                        "delete it so that it is downloaded again, or replace it") from None


def parse_idx(payload, name="<bytes>"):
    """Parse a decompressed IDX payload of unsigned bytes into a numpy array.

    Images files (magic 2051) give an (N, rows, cols) uint8 array, label files
    (magic 2049) an (N,) uint8 array. Anything else raises a DataError naming
    ``name`` and the problem.
    """
    if len(payload) < 8:
        raise DataError(f"{name}: too short to be an IDX file ({len(payload)} bytes)")
    magic, count = struct.unpack(">II", payload[:8])
    if magic not in _HEADER_BYTES:
        raise DataError(f"{name}: wrong magic number {magic} "
                        f"(expected {IMAGES_MAGIC} for images or {LABELS_MAGIC} for labels)")
    header = _HEADER_BYTES[magic]
    if len(payload) < header:
        raise DataError(f"{name}: header truncated ({len(payload)} bytes)")
    if magic == IMAGES_MAGIC:
        rows, cols = struct.unpack(">II", payload[8:16])
        shape = (count, rows, cols)
    else:
        shape = (count,)
    # Python ints: a corrupt header's product of three 32-bit numbers overflows int64.
    expected = header + count * (rows * cols if magic == IMAGES_MAGIC else 1)
    if len(payload) != expected:
        raise DataError(f"{name}: header says {count} records of shape {shape[1:] or '()'} "
                        f"({expected} bytes) but the file holds {len(payload)} bytes; "
                        "it is truncated or corrupt")
    try:
        return np.frombuffer(payload, dtype=np.uint8, offset=header).reshape(shape)
    except ValueError:  # e.g. (4294967295, 0, 4294967295): empty, yet too big for numpy
        raise DataError(f"{name}: header gives the impossible shape {shape}; "
                        "the file is corrupt") from None


def _read_payload(path):
    """Return ``(decompressed bytes, sha256 hex)`` of one file."""
    payload = _decompress(path)
    return payload, hashlib.sha256(payload).hexdigest()


# --- Downloading missing files. ---

def download_file(name, data_dir, base_url=MNIST_URL, urlopen=urllib.request.urlopen):
    """Download one MNIST file into ``data_dir`` safely.

    The bytes go to a temporary file in the same directory, are checked against
    the MNIST checksum, and only then renamed to their final name: an
    interrupted or failed download never leaves a valid-looking file behind.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / name
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=data_dir)
    try:
        with os.fdopen(fd, "wb") as out, urlopen(base_url + name) as response:
            while True:
                chunk = response.read(1 << 20)
                if not chunk:
                    break
                out.write(chunk)
        _, digest = _read_payload(tmp_name)
        if name in MNIST_SHA256 and digest != MNIST_SHA256[name]:
            raise DataError(f"{base_url + name}: downloaded file fails the MNIST checksum")
        os.replace(tmp_name, target)
    except BaseException:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
        raise
    return target


def ensure_files(data_dir, base_url=MNIST_URL, urlopen=urllib.request.urlopen):
    """Download whichever of the four MNIST files ``data_dir`` lacks.

    Offline, the DataError names the missing files and where to put them.
    """
    data_dir = Path(data_dir)
    # exists(), not is_file(): a directory in a file's place gets the reader's clear
    # error instead of a download that could never be renamed over it.
    missing = [n for n in FILE_NAMES if not (data_dir / n).exists()]
    for name in missing:
        try:
            download_file(name, data_dir, base_url=base_url, urlopen=urlopen)
        except DataError:
            raise
        except Exception as e:  # network errors come in many types
            still = [n for n in FILE_NAMES if not (data_dir / n).exists()]
            raise DataError(f"missing {', '.join(still)} in {data_dir} and the download from "
                            f"{base_url} failed ({type(e).__name__}: {e}); copy the files "
                            f"there or set {DATA_DIR_ENV} to a directory that holds them") from None
    return missing


# --- The split. ---

def _check_checksums(digests, verify):
    """Apply the MNIST checksums according to ``verify`` (see read_data_sets)."""
    if verify is False:
        return
    wrong = [n for n in FILE_NAMES if digests[n] != MNIST_SHA256[n]]
    if not wrong:
        return
    if verify is None and len(wrong) == len(FILE_NAMES):
        return  # no file is MNIST: another dataset in the same layout
    raise DataError(f"{', '.join(wrong)}: contents fail the MNIST SHA-256 checksum (corrupt "
                    "copy?); replace the file(s), or pass verify=False for a dataset that only "
                    "shares MNIST's file names")


def read_data_sets(data_dir=None, validation_size=VALIDATION_SIZE, verify=None,
                   download=True, num_train_records=None, num_test_records=None):
    """Load the four IDX files of ``data_dir`` and split them as the walkthrough does.

    Args:
        data_dir: directory holding the four ``.gz`` files; default
            :func:`default_data_dir`.
        validation_size: records taken from the start of the training file.
        verify: ``None`` (default) checks the MNIST checksums unless *no* file
            matches them (then it is another dataset in MNIST's layout, e.g.
            Fashion-MNIST); ``True`` always checks; ``False`` never does.
        download: fetch missing files from :data:`MNIST_URL`.
        num_train_records, num_test_records: keep only the first records of
            each file (a quick slice for smoke runs); default all.

    Returns:
        :class:`DataSets` with ``.train``, ``.validation`` and ``.test``.
    """
    data_dir = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    if download and verify is not False:
        ensure_files(data_dir)
    arrays, digests = {}, {}
    for name in FILE_NAMES:
        payload, digests[name] = _read_payload(data_dir / name)
        arrays[name] = parse_idx(payload, name=str(data_dir / name))
    _check_checksums(digests, verify)

    def split_pair(images_name, labels_name, limit):
        images, labels = arrays[images_name], arrays[labels_name]
        if images.ndim != 3:
            raise DataError(f"{data_dir / images_name}: holds labels (magic {LABELS_MAGIC}), "
                            f"expected images (magic {IMAGES_MAGIC}); are the files swapped?")
        if labels.ndim != 1:
            raise DataError(f"{data_dir / labels_name}: holds images (magic {IMAGES_MAGIC}), "
                            f"expected labels (magic {LABELS_MAGIC}); are the files swapped?")
        if images.shape[1:] != img_shape:
            raise DataError(f"{data_dir / images_name}: images are {images.shape[1]}x"
                            f"{images.shape[2]}, expected {img_size}x{img_size}")
        if len(images) != len(labels):
            raise DataError(f"{data_dir}: {images_name} holds {len(images)} images but "
                            f"{labels_name} holds {len(labels)} labels")
        if labels.size and labels.max() >= num_classes:
            raise DataError(f"{data_dir / labels_name}: label {labels.max()} outside 0-9")
        images, labels = images[:limit], labels[:limit]
        flat = images.reshape(len(images), img_size_flat).astype(np.float32) / 255.0
        return flat, labels.astype(np.int64)

    train_images, train_cls = split_pair(TRAIN_IMAGES, TRAIN_LABELS, num_train_records)
    test_images, test_cls = split_pair(TEST_IMAGES, TEST_LABELS, num_test_records)
    if not 0 <= validation_size < len(train_cls):
        raise DataError(f"validation_size={validation_size} leaves no training records "
                        f"(the training file has {len(train_cls)})")
    v = validation_size
    return DataSets(train=DataSet(train_images[v:], train_cls[v:]),
                    validation=DataSet(train_images[:v], train_cls[:v]),
                    test=DataSet(test_images, test_cls),
                    data_dir=data_dir)


# --- Writing IDX files (slices for smoke tests, other datasets). ---

def write_idx(path, array):
    """Write a uint8 array of 1 (labels) or 3 (images) dimensions as a gzipped IDX file."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = {1: LABELS_MAGIC, 3: IMAGES_MAGIC}[array.ndim]
    header = struct.pack(">II", magic, array.shape[0])
    if array.ndim == 3:
        header += struct.pack(">II", *array.shape[1:])
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(header + array.tobytes())


def write_subset(out_dir, num_train_records, num_test_records, src_dir=None):
    """Copy the first records of each MNIST file into ``out_dir`` (a real, tiny MNIST).

    Returns ``out_dir``. The source is :func:`default_data_dir` unless given.
    """
    src_dir = Path(src_dir) if src_dir is not None else default_data_dir()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    limits = {TRAIN_IMAGES: num_train_records, TRAIN_LABELS: num_train_records,
              TEST_IMAGES: num_test_records, TEST_LABELS: num_test_records}
    for name, limit in limits.items():
        payload, _ = _read_payload(src_dir / name)
        write_idx(out_dir / name, parse_idx(payload, name=name)[:limit])
    return out_dir
