"""nnbook.estimators: scikit-learn's estimator contract (issue 12, item 5)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_digits, make_regression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from nnbook import estimators as E

ESTIMATORS = [
    E.MLPClassifier,
    E.MLPRegressor,
    E.SoftmaxRegressionClassifier,
    E.LogisticRegressionClassifier,
]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_check_estimator(cls) -> None:
    results = check_estimator(cls(), on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results
              if r["status"] == "failed"]
    assert not failed, failed


def _digits(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return X[:n], y[:n]


def test_params_round_trip() -> None:
    clf = E.MLPClassifier(hidden_layer_sizes=(8,), epochs=3)
    params = clf.get_params()
    assert params["hidden_layer_sizes"] == (8,) and params["epochs"] == 3
    clf.set_params(lr=0.05)
    assert clf.lr == 0.05


def test_mlp_classifier_in_a_pipeline_learns_the_digits() -> None:
    X, y = _digits()
    model = make_pipeline(
        StandardScaler(), E.MLPClassifier(hidden_layer_sizes=(32,), epochs=20,
                                          random_state=0)
    )
    model.fit(X[:300], y[:300])
    assert model.score(X[300:], y[300:]) > 0.85
    proba = model.predict_proba(X[300:])
    assert proba.shape == (100, 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(model.predict(X[300:])) <= set(range(10))


def test_string_labels_and_reproducibility() -> None:
    X, y = _digits(200)
    names = np.array(["zero", "one"])[(y > 4).astype(int)]
    a = E.MLPClassifier(hidden_layer_sizes=(8,), epochs=5, random_state=1).fit(X, names)
    b = E.MLPClassifier(hidden_layer_sizes=(8,), epochs=5, random_state=1).fit(X, names)
    assert list(a.classes_) == ["one", "zero"]
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_cross_val_score_and_grid_search() -> None:
    X, y = _digits(300)
    scores = cross_val_score(
        make_pipeline(StandardScaler(), E.SoftmaxRegressionClassifier(epochs=20,
                                                                      random_state=0)),
        X, y, cv=3,
    )
    assert scores.shape == (3,) and scores.mean() > 0.8
    grid = GridSearchCV(
        E.MLPClassifier(epochs=5, random_state=0),
        {"hidden_layer_sizes": [(8,), (16,)], "lr": [0.01]},
        cv=2,
    ).fit(X / 16.0, y)
    assert grid.best_params_["hidden_layer_sizes"] in [(8,), (16,)]


def test_regressor_one_and_several_outputs() -> None:
    X, y = make_regression(n_samples=120, n_features=4, n_targets=2, noise=0.1,
                           random_state=0)
    y = y / y.std(axis=0)
    reg = E.MLPRegressor(hidden_layer_sizes=(16,), epochs=40, random_state=0).fit(X, y)
    assert reg.predict(X).shape == (120, 2) and reg.score(X, y) > 0.8
    reg1 = E.MLPRegressor(hidden_layer_sizes=(16,), epochs=40, random_state=0)
    assert reg1.fit(X, y[:, 0]).predict(X).shape == (120,)


def test_logistic_regression_is_binary() -> None:
    X, y = _digits(200)
    with pytest.raises(ValueError, match="Only binary classification"):
        E.LogisticRegressionClassifier().fit(X, y)
    clf = E.LogisticRegressionClassifier(epochs=20, random_state=0).fit(X / 16, y == 3)
    assert clf.score(X / 16, y == 3) > 0.9
    assert clf.predict_proba(X).shape == (200, 2)
