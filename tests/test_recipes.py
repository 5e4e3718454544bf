"""Recipes: one place for the models the command line and the benchmarks build."""

import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from sklearn_ser.cli import MODELS
from sklearn_ser.features._frontend import AudioFrontEnd
from sklearn_ser.recipes import get_recipe, list_recipes, recipe_info


def test_the_command_line_offers_every_recipe():
    assert MODELS == tuple(list_recipes())


@pytest.mark.parametrize("name", list_recipes())
def test_every_recipe_is_a_cloneable_pipeline_starting_with_a_front_end(name):
    pipe = get_recipe(name, verbose=0)
    assert isinstance(pipe, Pipeline)
    assert isinstance(pipe[0], AudioFrontEnd)
    clone(pipe)
    size = recipe_info(name).image_size
    if size is not None:
        assert pipe[0].size == (size, size)


def test_settings_reach_the_steps():
    pipe = get_recipe("vacnn-bovw", image_size=64, n_words=16, lr=1e-4, lr_step=60,
                      epochs=3, random_state=7, memory="cache", refit_full=True)
    front, bovw, net = pipe[0], pipe[1], pipe[-1]
    assert (front.size, front.memory, bovw.n_words, bovw.random_state) == ((64, 64), "cache",
                                                                          16, 7)
    params = net.get_params()
    assert (params["lr"], params["lr_step_size"], params["max_epochs"]) == (1e-4, 60, 3)
    assert (params["random_state"], params["refit_full"]) == (7, True)
    # the estimators' own defaults where nothing is given, the paper's for the VACNNs
    assert get_recipe("vacnn")[-1].get_params()["lr"] == 1e-3
    assert get_recipe("vit-distilled", epochs=2)[-1].teacher_epochs == 2


def test_unknown_recipe_and_setting_are_refused():
    with pytest.raises(ValueError, match="Unknown recipe 'nope'; choose one of vacnn-bovw"):
        get_recipe("nope")
    with pytest.raises(TypeError, match="Recipe 'crnn' takes no image_size"):
        get_recipe("crnn", image_size=64)
