"""Rasa 3.6 tokenizer for Vietnamese on ``underthesea.word_tokenize``.

Config (``config.yml``)::

    - name: rasa_addons.vietnamese_tokenizer.VietnameseTokenizer

Each token keeps the ORIGINAL text's offsets (entity annotations line up) and its
``text`` is the original slice with ``_`` joining the syllables of one word
(``cán_bộ``); its ``lemma`` is the normalised, diacritic-folded form (``can_bo``) that
``CountVectorsFeaturizer`` (``use_lemma: true``, the default) featurizes, so messages with
and without diacritics, or in teencode, get the same features. See
:mod:`rasa_addons.segment` for the segmentation rules and the learned lexicon that joins
syllables of text typed without diacritics.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_addons import segment, textnorm

logger = logging.getLogger(__name__)

LEXICON_FILE = "lexicon.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class VietnameseTokenizer(Tokenizer):
    """Word tokenizer for Vietnamese with diacritic/teencode-insensitive lemmas."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def supported_languages() -> list[str] | None:
        return ["vi"]

    @staticmethod
    def required_packages() -> list[str]:
        return ["underthesea"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        lexicon: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(config)
        self._model_storage = model_storage
        self._resource = resource
        self.lexicon = lexicon

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> VietnameseTokenizer:
        lexicon: frozenset[str] = frozenset()
        try:
            with model_storage.read_from(resource) as model_dir:
                words = json.loads((model_dir / LEXICON_FILE).read_text(encoding="utf-8"))
                lexicon = frozenset(str(w) for w in words)
        except (ValueError, FileNotFoundError) as err:
            logger.warning(
                "VietnameseTokenizer: no learned lexicon (%s); unaccented text stays unjoined", err
            )
        return cls(config, model_storage, resource, lexicon)

    def train(self, training_data: TrainingData) -> Resource:
        """Learn the folded multi-syllable words of the (accented) training examples."""
        texts = [ex.get(TEXT) for ex in training_data.training_examples if ex.get(TEXT)]
        self.lexicon = frozenset(segment.learn_lexicon(texts))
        with self._model_storage.write_to(self._resource) as model_dir:
            (model_dir / LEXICON_FILE).write_text(
                json.dumps(sorted(self.lexicon), ensure_ascii=False), encoding="utf-8"
            )
        logger.info(
            "VietnameseTokenizer: %d multi-syllable words learned (normaliser: %s)",
            len(self.lexicon),
            textnorm.backend(),
        )
        return self._resource

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute)
        if not isinstance(text, str):
            return []
        tokens = [Token(p.text, p.start, p.end, lemma=p.key) for p in segment.segment(text, self.lexicon)]
        if not tokens and text.strip():  # only punctuation or emoji: keep one token, as Rasa's do
            stripped = text.strip()
            start = text.index(stripped)
            tokens = [Token(stripped, start, start + len(stripped))]
        return self._apply_token_pattern(tokens)
