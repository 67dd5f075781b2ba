"""bot/diet.py: DIET's training batches hold messages of about the same length."""
from __future__ import annotations

import numpy as np
from rasa.shared.nlu.constants import TEXT
from rasa.nlu.classifiers.diet_classifier import LABEL_KEY, LABEL_SUB_KEY
from rasa.utils.tensorflow.constants import BALANCED, SEQUENCE_LENGTH
from rasa.utils.tensorflow.model_data import FeatureArray, RasaModelData

from bot.diet import LengthBatchedDataGenerator, length_batched_order


def padded_size(lengths: np.ndarray, order: np.ndarray, batch_size: int) -> int:
    """What DIET pays for: every batch padded to its longest message."""
    return sum(int(lengths[order[i:i + batch_size]].max()) * len(order[i:i + batch_size])
               for i in range(0, len(order), batch_size))


def skewed_lengths(n: int, seed: int = 0) -> np.ndarray:
    """Mostly short answers, a few long stories, like the training data (median 11, max 87)."""
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < 0.05, rng.integers(40, 88, n), rng.integers(1, 25, n))


def test_every_example_comes_once() -> None:
    lengths = skewed_lengths(1000)
    order = length_batched_order(lengths, 64, np.random.default_rng(1))
    assert sorted(order.tolist()) == list(range(1000))


def test_batches_pad_far_less_than_a_random_order() -> None:
    lengths = skewed_lengths(5000)
    batched = padded_size(lengths, length_batched_order(lengths, 64, np.random.default_rng(1)), 64)
    shuffled = padded_size(lengths, np.random.default_rng(1).permutation(5000), 64)
    assert batched < shuffled / 2
    assert batched < 1.3 * int(lengths.sum())


def test_within_a_run_each_batch_follows_on_in_length() -> None:
    lengths = skewed_lengths(64 * 4)
    order = length_batched_order(lengths, 64, np.random.default_rng(1), batches_per_run=4)
    spans = sorted((int(lengths[order[i:i + 64]].min()), int(lengths[order[i:i + 64]].max()))
                   for i in range(0, len(order), 64))
    assert all(high <= next_low for (_, high), (next_low, _) in zip(spans, spans[1:]))


def test_the_batch_order_is_random_but_repeatable() -> None:
    lengths = skewed_lengths(2000)
    first = length_batched_order(lengths, 64, np.random.default_rng(3))
    assert np.array_equal(first, length_batched_order(lengths, 64, np.random.default_rng(3)))
    assert not np.array_equal(first, length_batched_order(lengths, 64, np.random.default_rng(4)))


def test_a_short_last_batch_stays_last() -> None:
    lengths = skewed_lengths(64 * 3 + 10)
    for seed in range(5):
        order = length_batched_order(lengths, 64, np.random.default_rng(seed), batches_per_run=1)
        # with one batch per run, the last 10 examples can only be the run that was short
        assert sorted(order[-10:].tolist()) == list(range(64 * 3, 64 * 3 + 10))


def test_nothing_to_order() -> None:
    assert length_batched_order(np.array([], dtype=int), 64, np.random.default_rng(0)).size == 0


def test_rasa_batches_from_the_generator_pad_less() -> None:
    """Through Rasa's own shuffling and class balancing, as DIET trains."""
    np.random.seed(7)
    n = 1200
    lengths = skewed_lengths(n)
    labels = np.random.default_rng(2).integers(0, 6, n)
    model_data = RasaModelData(
        label_key=LABEL_KEY, label_sub_key=LABEL_SUB_KEY,
        data={
            TEXT: {SEQUENCE_LENGTH: [FeatureArray(lengths.astype(np.int64), number_of_dimensions=1)]},
            LABEL_KEY: {LABEL_SUB_KEY: [FeatureArray(labels.reshape(-1, 1).astype(np.int64), number_of_dimensions=2)]},
        },
    )
    generator = LengthBatchedDataGenerator(model_data, batch_size=64, epochs=2, batch_strategy=BALANCED)
    batched = generator._data[TEXT][SEQUENCE_LENGTH][0]
    assert generator.model_data.number_of_examples(generator._data) >= n  # balancing may repeat some
    rasa_alone = model_data.balanced_data(model_data.shuffled_data(model_data.data), 64, True)
    assert padded_size(np.asarray(batched).reshape(-1), np.arange(len(batched)), 64) < \
        padded_size(np.asarray(rasa_alone[TEXT][SEQUENCE_LENGTH][0]).reshape(-1),
                    np.arange(len(rasa_alone[TEXT][SEQUENCE_LENGTH][0])), 64) / 2
    # every example still comes, with its own label
    batched_labels = np.asarray(generator._data[LABEL_KEY][LABEL_SUB_KEY][0]).reshape(-1)
    pairs = set(zip(np.asarray(batched).reshape(-1).tolist(), batched_labels.tolist()))
    assert pairs == set(zip(lengths.tolist(), labels.tolist()))
