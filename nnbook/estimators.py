"""scikit-learn compatible estimators built on nnbook's models and training loop.

``MLPClassifier``, ``MLPRegressor``, ``SoftmaxRegressionClassifier`` and
``LogisticRegressionClassifier`` follow scikit-learn's estimator contract: constructor
arguments are stored unchanged (``get_params``/``set_params``), ``fit(X, y)`` returns
``self`` and sets attributes ending in ``_``, and ``predict``, ``predict_proba`` and
``score`` work as in scikit-learn, so the estimators work in ``Pipeline``,
``cross_val_score`` and ``GridSearchCV``. They live only in this namespace
(``nnbook.estimators``): the names ``nnbook.LogisticRegression`` and
``nnbook.SoftmaxRegression`` stay the book's own gradient-descent models.

scikit-learn is needed only here (``pip install nnbook[data]``); it is imported when
this module is. Shown in :doc:`/book/appendix/library`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .models.linear import LogisticRegression, SoftmaxRegression
from .nn.layers import GELU, Dense, ReLU, Sigmoid, Tanh
from .nn.losses import CrossEntropyLoss, MSELoss
from .nn.module import Module, Sequential, no_grad
from .optim.adaptive import Adam
from .train.loop import fit as _fit

__all__ = [
    "MLPClassifier",
    "MLPRegressor",
    "SoftmaxRegressionClassifier",
    "LogisticRegressionClassifier",
]

_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "gelu": GELU}


def _generator(random_state: Any) -> np.random.Generator:
    """A numpy Generator from scikit-learn's ``random_state`` (None, int or
    RandomState)."""
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31))
    if isinstance(random_state, np.random.Generator):
        return random_state
    raise TypeError(
        "random_state must be None, an int, a RandomState or a Generator; got "
        f"{type(random_state).__name__}"
    )


def _softmax(Z: np.ndarray) -> np.ndarray:
    Z = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


class _MLPBase(BaseEstimator):
    """Shared by the MLP estimators: build the network, train it with
    :func:`nnbook.fit` and Adam."""

    def __init__(
        self,
        hidden_layer_sizes: tuple[int, ...] = (64,),
        activation: str = "relu",
        lr: float = 0.01,
        epochs: int = 100,
        batch_size: int = 32,
        weight_decay: float = 0.0,
        random_state: Any = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.random_state = random_state

    def _build(self, n_in: int, n_out: int, rng: np.random.Generator) -> Module:
        if self.activation not in _ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(_ACTIVATIONS)}; "
                f"got {self.activation!r}"
            )
        sizes = [n_in, *(int(h) for h in self.hidden_layer_sizes), n_out]
        layers: list[Module] = []
        for k in range(len(sizes) - 1):
            layers.append(Dense(sizes[k], sizes[k + 1], rng))
            if k < len(sizes) - 2:
                layers.append(_ACTIVATIONS[self.activation]())
        return Sequential(layers)

    def _train(self, X: np.ndarray, y: np.ndarray, n_out: int, loss: Any) -> None:
        rng = _generator(self.random_state)
        self.model_ = self._build(X.shape[1], n_out, rng)
        optimizer = Adam(self.lr, weight_decay=self.weight_decay)
        batch = int(min(self.batch_size, X.shape[0]))
        self.history_ = _fit(
            self.model_,
            X,
            y,
            optimizer,
            loss=loss,
            epochs=self.epochs,
            batch_size=batch,
            rng=rng,
            verbose=False,
        )

    def _outputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        self.model_.eval()
        with no_grad():
            return np.asarray(self.model_(X))


class MLPClassifier(ClassifierMixin, _MLPBase):
    """A multilayer perceptron classifier: Dense layers with ``activation`` between
    them, softmax cross-entropy, trained by Adam with mini-batches.

    Parameters: ``hidden_layer_sizes`` (widths of the hidden layers), ``activation``
    ("relu", "tanh", "sigmoid", "gelu"), ``lr``, ``epochs``, ``batch_size``,
    ``weight_decay`` (decoupled, on weight matrices only) and ``random_state``.
    After ``fit``: ``classes_``, ``n_features_in_``, ``model_`` (the nnbook
    :class:`~nnbook.Sequential`) and ``history_``.
    """

    def fit(self, X: Any, y: Any) -> MLPClassifier:
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self._encoder = LabelEncoder().fit(y)
        self.classes_ = self._encoder.classes_
        codes = self._encoder.transform(y).astype(np.int64)
        self._train(X, codes, max(len(self.classes_), 1), CrossEntropyLoss())
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes)."""
        return _softmax(self._outputs(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row, in the labels seen by ``fit``."""
        check_is_fitted(self, "model_")
        return self.classes_[np.argmax(self._outputs(X), axis=1)]


class MLPRegressor(RegressorMixin, _MLPBase):
    """A multilayer perceptron regressor (mean squared error, Adam). One output or
    several: ``y`` of shape (n,) or (n, n_outputs). Parameters as
    :class:`MLPClassifier`."""

    def fit(self, X: Any, y: Any) -> MLPRegressor:
        X, y = validate_data(
            self, X, y, dtype=np.float64, multi_output=True, y_numeric=True
        )
        self._y_1d = y.ndim == 1
        Y = y.reshape(-1, 1) if self._y_1d else y
        self._train(X, Y.astype(np.float64), Y.shape[1], MSELoss())
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predictions of shape (n,) (or (n, n_outputs) when trained on 2-D ``y``)."""
        out = self._outputs(X)
        return out.ravel() if self._y_1d else out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class SoftmaxRegressionClassifier(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression trained by gradient descent: the estimator form
    of :class:`nnbook.SoftmaxRegression` (``l2`` penalty, ``lr``, ``epochs``,
    mini-batches of ``batch_size``)."""

    def __init__(
        self,
        lr: float = 0.5,
        epochs: int = 200,
        l2: float = 0.0,
        batch_size: int = 32,
        random_state: Any = None,
    ) -> None:
        self.lr = lr
        self.epochs = epochs
        self.l2 = l2
        self.batch_size = batch_size
        self.random_state = random_state

    def _model(self, n_classes: int) -> Any:
        return SoftmaxRegression(n_classes=max(n_classes, 2), l2=self.l2)

    def fit(self, X: Any, y: Any) -> SoftmaxRegressionClassifier:
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self._encoder = LabelEncoder().fit(y)
        self.classes_ = self._encoder.classes_
        codes = self._encoder.transform(y).astype(np.int64)
        if len(self.classes_) > 2 and self._binary_only:
            raise ValueError(
                f"Only binary classification is supported by {type(self).__name__}; "
                f"got {len(self.classes_)} classes in y"
            )
        self.model_ = self._model(len(self.classes_))
        self.model_.fit(
            X,
            codes,
            lr=self.lr,
            epochs=self.epochs,
            mode="minibatch",
            batch_size=int(min(self.batch_size, X.shape[0])),
            rng=_generator(self.random_state),
        )
        return self

    _binary_only = False

    def _logits(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return np.asarray(self.model_.decision_function(X))

    def decision_function(self, X: Any) -> np.ndarray:
        """Logits: shape (n,) for two classes (positive means ``classes_[1]``, as in
        scikit-learn), else (n, n_classes)."""
        Z = self._logits(X)
        if Z.ndim == 2 and len(self.classes_) <= 2:
            return Z[:, 1] - Z[:, 0]
        return Z

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes)."""
        Z = self._logits(X)
        if Z.ndim == 1:  # logistic: p(class 1) = sigma(z)
            p1 = 1.0 / (1.0 + np.exp(-np.clip(Z, -500, 500)))
            return np.c_[1.0 - p1, p1][:, : len(self.classes_)]
        return _softmax(Z)[:, : len(self.classes_)]

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row."""
        check_is_fitted(self, "model_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class LogisticRegressionClassifier(SoftmaxRegressionClassifier):
    """Binary logistic regression trained by gradient descent: the estimator form of
    :class:`nnbook.LogisticRegression`. Two classes (any labels); more raise a
    ``ValueError``."""

    _binary_only = True

    def _model(self, n_classes: int) -> Any:
        return LogisticRegression(l2=self.l2)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags
