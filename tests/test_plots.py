"""plot_images: a 3x3 grid with the right labels, usable without a display."""

from tutorial17 import plots
from tutorial17.errors import InputError

import pytest


def test_plot_images_has_nine_labelled_axes(tiny_data, tmp_path):
    images, cls = tiny_data.test.images[:9], tiny_data.test.cls[:9]
    fig = plots.plot_images(images, cls)
    assert len(fig.axes) == 9
    assert [ax.get_xlabel() for ax in fig.axes][:3] == ["True: 7", "True: 2", "True: 1"]
    assert all(not ax.get_xticks().size and not ax.get_yticks().size for ax in fig.axes)
    fig.savefig(tmp_path / "grid.png")
    assert (tmp_path / "grid.png").stat().st_size > 1000


def test_plot_images_with_predictions(tiny_data):
    fig = plots.plot_images(tiny_data.test.images[:9], tiny_data.test.cls[:9], [1] * 9)
    assert fig.axes[8].get_xlabel() == "True: 5, Pred: 1"


def test_plot_images_needs_nine(tiny_data):
    with pytest.raises(InputError, match="exactly 9"):
        plots.plot_images(tiny_data.test.images[:4], tiny_data.test.cls[:4])
