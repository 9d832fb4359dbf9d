"""Exercise 7: images written as PNG files and read back by a tf.data input function."""

from tutorial17 import inputs, models, workflow
from tutorial17.errors import InputError
from tutorial17.exercises import image_files

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

NUM_FILES = 12


def _all_batches(input_fn):
    """Every batch of a one-pass tf.data input function, concatenated."""
    with tf.Graph().as_default():
        batch = tf.data.make_one_shot_iterator(input_fn()).get_next()
        out = []
        with tf.Session() as sess:
            while True:
                try:
                    out.append(sess.run(batch))
                except tf.errors.OutOfRangeError:
                    break
    return out


@pytest.fixture(scope="module")
def png_dir(tiny_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("png")
    image_files.write_png_images(tiny_data.test.images[:NUM_FILES], out,
                                 cls=tiny_data.test.cls[:NUM_FILES])
    return out


def test_files_are_named_by_index_and_class(png_dir, tiny_data):
    paths = image_files.list_image_files(png_dir, labelled=True)
    assert [p.name for p in paths[:3]] == ["00000_7.png", "00001_2.png", "00002_1.png"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    np.testing.assert_array_equal(image_files.classes_from_names(paths),
                                  tiny_data.test.cls[:NUM_FILES])


def test_files_read_back_equal_the_arrays(png_dir, tiny_data):
    """MNIST pixels are bytes / 255, so the PNG round trip is exact."""
    fn = image_files.make_image_files_input_fn(png_dir, labels=True, batch_size=5)
    batches = _all_batches(fn)
    assert [len(b[1]) for b in batches] == [5, 5, 2]
    x = np.concatenate([b[0]["x"] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    assert x.dtype == np.float32 and x.shape == (NUM_FILES, 784)
    np.testing.assert_array_equal(x, tiny_data.test.images[:NUM_FILES])
    np.testing.assert_array_equal(y, tiny_data.test.cls[:NUM_FILES])


def test_predict_input_fn_has_images_only(png_dir):
    (batch,) = _all_batches(image_files.make_image_files_input_fn(png_dir))
    assert list(batch) == ["x"] and batch["x"].shape == (NUM_FILES, 784)


def test_shuffled_training_input_covers_every_file(png_dir, tiny_data):
    fn = image_files.make_image_files_input_fn(png_dir, labels=True, shuffle=True,
                                               batch_size=NUM_FILES, num_epochs=2)
    first, second = _all_batches(fn)
    for _, y in (first, second):
        assert sorted(y.tolist()) == sorted(tiny_data.test.cls[:NUM_FILES].tolist())


def test_estimator_predicts_the_same_from_files_and_arrays(png_dir, tiny_data, tmp_path):
    estimator = models.make_cnn_estimator(model_dir=tmp_path)
    workflow.train(estimator, inputs.make_train_input_fn(tiny_data.train.images,
                                                         tiny_data.train.cls), 3,
                   progress=False)
    from_files = workflow.predict_classes(estimator,
                                          image_files.make_image_files_input_fn(png_dir))
    from_arrays = workflow.predict_classes(
        estimator, inputs.make_predict_input_fn(tiny_data.test.images[:NUM_FILES]))
    np.testing.assert_array_equal(from_files, from_arrays)
    metrics = workflow.evaluate(estimator,
                                image_files.make_image_files_input_fn(png_dir, labels=True))
    assert metrics["accuracy"] == pytest.approx(
        np.mean(from_arrays == tiny_data.test.cls[:NUM_FILES]))


def test_rewriting_the_same_images_is_harmless(png_dir, tiny_data):
    before = {p: p.stat().st_mtime_ns for p in png_dir.iterdir()}
    image_files.write_png_images(tiny_data.test.images[:NUM_FILES], png_dir,
                                 cls=tiny_data.test.cls[:NUM_FILES])
    assert {p: p.stat().st_mtime_ns for p in png_dir.iterdir()} == before


def test_a_different_file_is_never_overwritten(tiny_data, tmp_path):
    image_files.write_png_images(tiny_data.test.images[:1], tmp_path, cls=[7])
    original = (tmp_path / "00000_7.png").read_bytes()
    with pytest.raises(InputError, match="a different file already exists"):
        image_files.write_png_images(tiny_data.test.images[1:2], tmp_path, cls=[7])
    assert (tmp_path / "00000_7.png").read_bytes() == original


def test_empty_directory_gets_one_line(tmp_path):
    with pytest.raises(InputError, match=r"no files match '\*.png'"):
        image_files.make_image_files_input_fn(tmp_path)


def test_names_without_class_refused_for_labels(tiny_data, tmp_path):
    image_files.write_png_images(tiny_data.test.images[:2], tmp_path)  # no classes
    assert [p.name for p in image_files.list_image_files(tmp_path)] == ["00000.png",
                                                                        "00001.png"]
    with pytest.raises(InputError, match="without a class, e.g. '00000.png'"):
        image_files.make_image_files_input_fn(tmp_path, labels=True)


def test_training_on_files_repeats(png_dir, tmp_path):
    """Like the array input functions, the file input function seeds the run."""
    kernels = []
    for run in ("first", "second"):
        estimator = models.make_cnn_estimator(model_dir=tmp_path / run)
        fn = image_files.make_image_files_input_fn(png_dir, labels=True, batch_size=4,
                                                   shuffle=True, num_epochs=None)
        workflow.train(estimator, fn, 3, progress=False)
        kernels.append(estimator.get_variable_value("layer_fc1/kernel"))
    np.testing.assert_array_equal(kernels[0], kernels[1])
