"""Run with the Rasa venv's Python: trains and loads the VietnameseTokenizer through Rasa's
own model storage and prints, as JSON, the tokens of each text given on the command line."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_addons.vietnamese_tokenizer import VietnameseTokenizer

TRAINING = ["Cho tôi gặp cán bộ trực tổng đài", "Tôi muốn gặp người thật", "Số điện thoại của tôi"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        storage = LocalModelStorage(Path(tmp))
        resource = Resource("tokenizer")
        context = ExecutionContext(GraphSchema({}), "probe")
        config = {**VietnameseTokenizer.get_default_config()}
        trainer = VietnameseTokenizer.create(config, storage, resource, context)
        trainer.train(TrainingData([Message(data={"text": t, "intent": "x"}) for t in TRAINING]))
        tokenizer = VietnameseTokenizer.load(config, storage, resource, context)
        out = []
        for text in sys.argv[1:]:
            message = Message(data={"text": text})
            tokenizer.process([message])
            out.append(
                {
                    "text": text,
                    "tokens": [
                        {"text": t.text, "start": t.start, "end": t.end, "lemma": t.lemma}
                        for t in message.get("text_tokens")
                    ],
                }
            )
        print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
