"""Rasa's DIETClassifier, trained on batches of messages of about the same length.

Why: DIET pads every batch to its longest message, and the training data mixes one-word
answers with 80-word stories (median 11 tokens, 90th percentile 23, longest 87), so nearly
every random batch is padded to a story. The cold train is most of CI's time: session 11's CI
reached the tests after 70 of its 90 minutes. So batches here are cut from runs of 16 batches'
worth of examples sorted by length, and the batches are then shuffled.

Measured in session 12, on the same data and settings (60 epochs, batch 64 rising to 256):
- the first DIET's epochs took 10 s to 12 s instead of 25 s to 37 s; the whole cold train
  (featurizers from Rasa's cache) 22.6 min, against about 41 before;
- a gentler variant, the longest tenth in batches of their own and every other batch left as
  Rasa mixes it, took 33.4 min and was no better: on the blind sets 423 of 465 dangers found
  against 419 here (422 before) and 30 false alarms of 670 against 32 (29 before), but 3
  simulated residents alarmed needlessly against 1 here (2 before).

Everything else (the model, its loss, what it predicts, how it loads) is DIET's own; only the
order in which training examples meet is different.
"""
from __future__ import annotations

from typing import Text
from unittest import mock

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.engine.storage.resource import Resource
from rasa.utils import train_utils
from rasa.utils.tensorflow.constants import SEQUENCE_LENGTH
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import Data

# How many batches' worth of (already shuffled and class-balanced) examples are sorted by
# length together. Bigger runs pad less; smaller ones keep batches more mixed.
BATCHES_PER_RUN = 16


def length_batched_order(lengths: np.ndarray, batch_size: int, rng: np.random.Generator,
                         batches_per_run: int = BATCHES_PER_RUN) -> np.ndarray:
    """An order of the examples in which each batch holds messages of about the same length.

    The examples' given order is kept within equal lengths (it is random: Rasa shuffles and
    balances before this), and the batches themselves come in a random order.
    """
    run = batch_size * batches_per_run
    order = np.concatenate([start + np.argsort(lengths[start:start + run], kind="stable")
                            for start in range(0, len(lengths), run)]) if len(lengths) else np.arange(0)
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    # the short last batch stays last, as Rasa's drop_small_last_batch expects
    full, last = (batches[:-1], batches[-1:]) if batches and len(batches[-1]) < batch_size else (batches, [])
    rng.shuffle(full)
    return np.concatenate(full + last) if batches else order


class LengthBatchedDataGenerator(RasaBatchDataGenerator):
    """Rasa's batch generator, with each epoch's examples reordered by length_batched_order."""

    def _shuffle_and_balance(self, batch_size: int) -> Data:
        data = super()._shuffle_and_balance(batch_size)
        if not self.shuffle or TEXT not in data or SEQUENCE_LENGTH not in data[TEXT]:
            return data
        lengths = np.asarray(data[TEXT][SEQUENCE_LENGTH][0]).reshape(-1)
        # Rasa seeds numpy's global generator from the component's random_seed; drawing the
        # batch order from it keeps a retrain on the same inputs the same model
        rng = np.random.default_rng(np.random.randint(2**31))
        return self.model_data._data_for_ids(data, length_batched_order(lengths, batch_size, rng))


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class LengthBatchedDIETClassifier(DIETClassifier):
    """DIETClassifier whose training batches hold messages of about the same length."""

    @property
    def name(self) -> Text:
        # the extractor name on DIET's entities, which the rest of the bot reads as DIET's
        return DIETClassifier.__name__

    def train(self, training_data: TrainingData) -> Resource:
        # DIET.train builds its generator through train_utils; this swaps in ours for the
        # length of the call only (Rasa is pinned to 3.6, whose train() this follows)
        with mock.patch.object(train_utils, "RasaBatchDataGenerator", LengthBatchedDataGenerator):
            return super().train(training_data)

