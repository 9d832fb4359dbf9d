"""Predictor: the same answers as Estimator.predict, kept fast by one graph and session."""

import threading

from tutorial17 import Predictor, inputs, models, workflow
from tutorial17.errors import (
    CheckpointRestoreError,
    InputError,
    NoCheckpointError,
    NoProbabilitiesError,
    PredictorClosedError,
)
from tutorial17.predictor import FROM_ESTIMATOR, FROM_SAVED_MODEL

import numpy as np
import pytest

STEPS = 3
NUM_THREADS = 4
CALLS_PER_THREAD = 15


def train(estimator, data, steps):
    fn = inputs.make_train_input_fn(data.train.images, data.train.cls)
    return workflow.train(estimator, fn, steps=steps, progress=False)


def estimator_probabilities(estimator, images):
    return np.array([p["probabilities"]
                     for p in estimator.predict(inputs.make_predict_input_fn(images))])


@pytest.fixture(scope="module", params=["dnn", "cnn"])
def trained(request, tiny_data, tmp_path_factory):
    """(model name, estimator) after STEPS steps on the tiny slice."""
    estimator = models.make_estimator(request.param,
                                      model_dir=tmp_path_factory.mktemp(request.param))
    train(estimator, tiny_data, STEPS)
    return request.param, estimator


@pytest.fixture(scope="module")
def predictor(trained):
    """A Predictor of the trained estimator, shared by the tests that only read."""
    with Predictor(trained[1]) as made:
        yield made


def test_same_classes_as_estimator_predict(trained, tiny_data):
    name, estimator = trained
    images = tiny_data.test.images
    expected = workflow.predict_classes(estimator, inputs.make_predict_input_fn(images))
    with Predictor(estimator) as predictor:
        got = predictor.predict(images)
        assert got.dtype == np.int64 and got.shape == (len(images),)
        np.testing.assert_array_equal(got, expected)
        assert predictor.checkpoint_path.endswith(f"-{STEPS}")
        if name == "dnn":
            np.testing.assert_allclose(predictor.predict_proba(images[:20]),
                                       estimator_probabilities(estimator, images[:20]),
                                       rtol=1e-5, atol=1e-6)
        else:
            assert not predictor.has_probabilities
            with pytest.raises(NoProbabilitiesError, match="class numbers only"):
                predictor.predict_proba(images[:2])


def test_accepts_28x28_and_float64_images(trained, tiny_data):
    _, estimator = trained
    images = tiny_data.test.images[:9]
    with Predictor(estimator) as predictor:
        flat = predictor.predict(images)
        np.testing.assert_array_equal(predictor.predict(images.reshape(9, 28, 28)), flat)
        np.testing.assert_array_equal(predictor.predict(images.astype(np.float64)), flat)


def test_restores_once_while_the_checkpoint_is_unchanged(trained, tiny_data):
    _, estimator = trained
    with Predictor(estimator) as predictor:
        for _ in range(5):
            predictor.predict(tiny_data.test.images[:9])
        assert predictor.num_restores == 1


def test_serves_the_new_checkpoint_after_more_training(tiny_data, tmp_path):
    estimator = models.make_dnn_classifier(model_dir=tmp_path)
    images = tiny_data.test.images[:50]
    train(estimator, tiny_data, 2)
    with Predictor(estimator) as predictor:
        before = predictor.predict_proba(images)
        assert predictor.checkpoint_path.endswith("-2")
        train(estimator, tiny_data, 3)
        after = predictor.predict_proba(images)
        assert predictor.checkpoint_path.endswith("-5") and predictor.num_restores == 2
        assert not np.allclose(before, after)
        np.testing.assert_allclose(after, estimator_probabilities(estimator, images),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(
            predictor.predict(images),
            workflow.predict_classes(estimator, inputs.make_predict_input_fn(images)))


def test_several_threads_get_correct_answers(predictor, tiny_data):
    images = tiny_data.test.images
    expected = predictor.predict(images)
    errors, wrong = [], []

    def worker(index):
        rng = np.random.RandomState(index)
        try:
            for _ in range(CALLS_PER_THREAD):
                pick = rng.choice(len(images), size=rng.randint(1, 40), replace=False)
                if not np.array_equal(predictor.predict(images[pick]), expected[pick]):
                    wrong.append(index)
        except Exception as e:  # reported below; a thread's exception is otherwise lost
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(NUM_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and wrong == []


def test_saved_model_round_trip(trained, tiny_data, tmp_path):
    name, estimator = trained
    images = tiny_data.test.images[:30]
    export_dir = tmp_path / "export" / "1"
    with Predictor(estimator) as predictor:
        assert predictor.export(export_dir) == export_dir
        expected = predictor.predict(images)
        with Predictor(export_dir) as loaded:
            np.testing.assert_array_equal(loaded.predict(images), expected)
            assert loaded.has_probabilities == (name == "dnn")
            if name == "dnn":
                np.testing.assert_allclose(loaded.predict_proba(images),
                                           predictor.predict_proba(images), rtol=1e-6)
        # Exporting again over it is refused, and nothing there changes.
        before = sorted((p.relative_to(export_dir), p.stat().st_mtime_ns)
                        for p in export_dir.rglob("*"))
        with pytest.raises(InputError, match="already exists"):
            predictor.export(export_dir)
        assert sorted((p.relative_to(export_dir), p.stat().st_mtime_ns)
                      for p in export_dir.rglob("*")) == before
        assert sorted(p.name for p in export_dir.parent.iterdir()) == ["1"]  # no leftovers


def test_export_into_an_empty_directory(trained, tmp_path):
    _, estimator = trained
    (tmp_path / "empty").mkdir()
    with Predictor(estimator) as predictor:
        predictor.export(tmp_path / "empty")
    assert (tmp_path / "empty" / "saved_model.pb").is_file()


def test_no_checkpoint_yet(tmp_path):
    with pytest.raises(NoCheckpointError, match="train the model first"):
        Predictor(models.make_cnn_estimator(model_dir=tmp_path))


def test_a_directory_without_saved_model(tmp_path):
    with pytest.raises(InputError, match="holds no SavedModel"):
        Predictor(tmp_path)


def test_closed_predictor_refuses(trained, tiny_data, tmp_path):
    _, estimator = trained
    predictor = Predictor(estimator)
    predictor.close()
    for call in (predictor.predict, predictor.predict_unchecked):
        with pytest.raises(PredictorClosedError, match="closed"):
            call(tiny_data.test.images[:1])
    with pytest.raises(PredictorClosedError, match="closed"):
        predictor.export(tmp_path / "export")
    assert list(tmp_path.iterdir()) == []


GOOD = np.zeros((2, 784), np.float32)


@pytest.mark.parametrize("images, message", [
    (np.zeros((2, 100), np.float32), r"shape \(2, 100\), expected \(N, 784\) or \(N, 28, 28\)"),
    (np.zeros(784, np.float32), r"shape \(784,\), expected \(N, 784\)"),
    (np.zeros((2, 784), np.uint8), "dtype uint8, expected float32.*divide by 255"),
    (np.array([["a"] * 784]), "dtype <U1, expected float32"),
    (np.full((2, 784), np.inf, np.float32), "NaN or inf"),
    (np.where(np.eye(2, 784) > 0, np.nan, 0).astype(np.float32), "NaN or inf"),
    (np.zeros((0, 784), np.float32), "empty array"),
    ({"x": GOOD}, "got a dict; pass the image array itself"),
    ({"images": GOOD}, "got a dict without the key 'x' \\(keys \\['images'\\]\\)"),
])
def test_bad_images_get_one_line(predictor, images, message):
    with pytest.raises(InputError, match=message) as info:
        predictor.predict(images)
    assert "\n" not in str(info.value)


def test_not_an_estimator():
    with pytest.raises(InputError, match="expected an Estimator or the directory"):
        Predictor(42)


def test_from_estimator_follows_the_model_directory(trained, tiny_data):
    _, estimator = trained
    images = tiny_data.test.images[:20]
    with Predictor.from_estimator(estimator) as made, Predictor(estimator) as plain:
        assert made.source_kind == plain.source_kind == FROM_ESTIMATOR
        assert made.checkpoint_path == plain.checkpoint_path
        np.testing.assert_array_equal(made.predict(images), plain.predict(images))


def test_from_saved_model_serves_the_export(trained, tiny_data, tmp_path):
    _, estimator = trained
    images = tiny_data.test.images[:20]
    with Predictor.from_estimator(estimator) as predictor:
        expected = predictor.predict(images)
        predictor.export(tmp_path / "export")
    for source in (tmp_path / "export", str(tmp_path / "export")):
        with Predictor.from_saved_model(source) as loaded:
            assert loaded.source_kind == FROM_SAVED_MODEL
            assert loaded.checkpoint_path == str(tmp_path / "export")
            np.testing.assert_array_equal(loaded.predict(images), expected)
            assert loaded.num_restores == 1


def test_each_constructor_refuses_the_others_source(trained, tmp_path):
    _, estimator = trained
    with pytest.raises(InputError, match="expected an Estimator; for a path, use "
                                         "from_saved_model"):
        Predictor.from_estimator(str(tmp_path))
    with pytest.raises(InputError, match="expected a directory's path; for an Estimator use "
                                         "from_estimator"):
        Predictor.from_saved_model(estimator)
    with pytest.raises(InputError, match="holds no SavedModel"):
        Predictor.from_saved_model(tmp_path)


def test_predict_unchecked_gives_predicts_answers(predictor, tiny_data):
    images = tiny_data.test.images[:9]
    got = predictor.predict_unchecked(images)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, predictor.predict(images))


def test_an_unreadable_checkpoint_gets_one_line(tiny_data, tmp_path):
    estimator = models.make_cnn_estimator(model_dir=tmp_path)
    train(estimator, tiny_data, 1)
    for data_file in tmp_path.glob("model.ckpt-1.data-*"):
        data_file.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointRestoreError, match="could not restore") as caught:
        Predictor.from_estimator(estimator)
    assert "\n" not in str(caught.value)
