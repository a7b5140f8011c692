#!/usr/bin/env python3
"""Writes the seed corpora of fuzz/corpus/ (run from anywhere; standard library only).

Each harness gets a few small valid inputs, trimmed from tests/fixtures/ where there are
fixtures, and near-valid ones that stop in different checks of the parser. Regression seeds
(inputs that once crashed a parser, named regression-*) are committed by hand beside them and
left alone here. Run it again after changing a generator below; it rewrites only seed-*."""

import json
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")


def write(harness, name, data):
    folder = os.path.join(CORPUS, harness)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(folder, "seed-" + name), "wb") as file:
        file.write(data)


def jsonl_seeds():
    prompts = open(os.path.join(ROOT, "data", "demo_prompts.jsonl"), encoding="utf-8").read().splitlines()[:3]
    write("jsonl", "prompts.jsonl", "\n".join(prompts) + "\n")
    write("jsonl", "bom-crlf-blank.jsonl", "\ufeff{\"a\": 1}\r\n\r\n  \t\n{\"b\": [1, 2.5, null, true]}")
    write("jsonl", "nested.jsonl", '{"x": {"y": {"z": "\\u00e9\\ud83d\\ude00"}}, "n": -1e300}\n')
    write("jsonl", "not-object.jsonl", '{"ok": 1}\n[1, 2]\n')
    write("jsonl", "invalid.jsonl", '{"a": "unterminated\n{"a": 1, "a": 2}\n')
    write("jsonl", "many-lines.jsonl", "".join('{"i": %d}\n' % i for i in range(9)))


def import_seeds():
    write("import", "prompts.jsonl",
          '{"prompt": "Write a haiku.", "id": "p1"}\n{"prompt": "Name a tree.", "id": 7, "topic": "nature"}\n'
          '{"prompt": "Write a haiku."}\n')
    write("import", "preferences.jsonl",
          '{"prompt": "Hi", "chosen": "Hello!", "rejected": "Go away."}\n'
          '{"prompt": "Hi", "chosen": "Hello!", "rejected": "Go away."}\n')
    write("import", "transcripts.jsonl",
          '{"chosen": "\\n\\nHuman: Hi\\n\\nAssistant: Hello!", "rejected": "\\n\\nHuman: Hi\\n\\nAssistant: No."}\n')
    write("import", "same-texts.jsonl", '{"prompt": "Hi", "chosen": "Same", "rejected": "Same"}\n')
    write("import", "bad-id.jsonl", '{"prompt": "Hi", "id": [1]}\n{"prompt": 3}\n')
    write("import", "unicode.jsonl", '{"prompt": "caf\\u00e9 \\ud83d\\ude00", "chosen": "\\u0001", "rejected": ""}\n')


def sft_seeds():
    write("sft", "pairs.jsonl", '{"prompt": "Name a colour.", "response": " Blue."}\n'
                                '{"prompt": "", "response": "A long answer that the limit will cut on the right."}\n')
    write("sft", "messages.jsonl",
          '{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, '
          '{"role": "assistant", "content": "Hello."}]}\n'
          '{"messages": [{"role": "user", "content": "and?"}, {"role": "assistant", "content": " More."}]}\n')
    write("sft", "long-prompt.jsonl", '{"prompt": "' + "the cat sat on the mat " * 6 + '", "response": "ok"}\n')
    write("sft", "bad-role.jsonl", '{"messages": [{"role": "tool", "content": "x"}]}\n')
    write("sft", "no-assistant.jsonl", '{"messages": [{"role": "user", "content": "x"}]}\n')
    write("sft", "empty-response.jsonl", '{"prompt": "x", "response": ""}\n{"prompt": 1, "response": "y"}\n')


def id_lines_seeds():
    write("id_lines", "input_ids.txt", open(os.path.join(FIXTURES, "gpt2", "lm_small", "input_ids.txt")).read())
    write("id_lines", "spacing.txt", "\n\n  1\t2  3 \r\n\n999\n0")
    write("id_lines", "out-of-range.txt", "1 2 1000\n")
    write("id_lines", "big.txt", "2147483647 9223372036854775807\n")
    write("id_lines", "bad.txt", "1 2x 3\n-4\n")
    write("id_lines", "empty-lines.txt", "\n \n\t\n")


def safetensors_file(tensors, metadata=None, pad_header=0):
    """tensors: (name, dtype, shape, raw bytes); laid out one after another."""
    header, data = {}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode() + b" " * pad_header
    return struct.pack("<Q", len(text)) + text + data


def safetensors_seeds():
    f32 = struct.pack("<4f", 1.0, -2.5, 0.0, 3.25)
    write("safetensors", "f32.safetensors",
          safetensors_file([("wte.weight", "F32", [2, 2], f32)], {"format": "pt", "step": "12"}))
    write("safetensors", "mixed.safetensors", safetensors_file([
        ("a", "F16", [3], struct.pack("<3H", 0x3C00, 0x7C00, 0x0001)),
        ("b", "BF16", [1, 2], struct.pack("<2H", 0x3F80, 0xFF80)),
        ("c", "F64", [1], struct.pack("<d", 1e300)),
        ("d", "I64", [2], struct.pack("<2q", -1, 1 << 40)),
        ("e", "I32", [1], struct.pack("<i", 7)),
        ("f", "U8", [2], b"\x00\xff"),
        ("empty", "F32", [0, 4], b""),
    ], pad_header=3))
    write("safetensors", "no-tensors.safetensors", safetensors_file([]))
    good = safetensors_file([("x", "F32", [4], f32)])
    write("safetensors", "truncated.safetensors", good[:-3])
    write("safetensors", "trailing.safetensors", good + b"\0")
    overlap = b'{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'
    write("safetensors", "overlap.safetensors", struct.pack("<Q", len(overlap)) + overlap + bytes(8))
    huge = b'{"x":{"dtype":"F64","shape":[1099511627776,1099511627776],"data_offsets":[0,0]}}'
    write("safetensors", "huge-shape.safetensors", struct.pack("<Q", len(huge)) + huge)


def config_seeds():
    for name in ("lm_small", "seqcls"):
        write("config", name + ".json", open(os.path.join(FIXTURES, "gpt2", name, "config.json")).read())
    write("config", "minimal.json", '{"vocab_size": 97, "n_positions": 32, "n_embd": 32, "n_layer": 2, "n_head": 2}')
    write("config", "n_ctx.json", '{"vocab_size": 5, "n_ctx": 8, "n_embd": 4, "n_layer": 1, "n_head": 1, '
                                  '"layer_norm_epsilon": 1e-3, "resid_pdrop": 0.1, "bos_token_id": -1}')
    write("config", "bad-head.json", '{"vocab_size": 5, "n_positions": 8, "n_embd": 6, "n_layer": 1, "n_head": 4, '
                                     '"architectures": ["GPT2ForSequenceClassification"], "id2label": {"0": "a", "1": "b"}}')
    write("config", "bad-types.json", '{"vocab_size": "5", "model_type": "llama", "activation_function": 3}')


def byte_alphabet():
    """GPT-2's byte-to-unicode characters, the spellings of the 256 byte tokens."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    characters, extra = [], 0
    for byte in range(256):
        if byte in printable:
            characters.append(chr(byte))
        else:
            characters.append(chr(256 + extra))
            extra += 1
    return set(characters)


def trimmed_tokenizer(merge_count):
    """The fixture's byte tokens, its first merge_count merges and <|endoftext|>, renumbered
    0..n-1 in the fixture's order: (vocab dict, merges list of "a b")."""
    vocab = json.load(open(os.path.join(FIXTURES, "tokenizer", "vocab.json"), encoding="utf-8"))
    lines = open(os.path.join(FIXTURES, "tokenizer", "merges.txt"), encoding="utf-8").read().splitlines()
    merges = [line for line in lines if line and not line.startswith("#version")][:merge_count]
    by_id = sorted(vocab, key=vocab.get)
    keep = byte_alphabet() | {"<|endoftext|>"} | {m.replace(" ", "") for m in merges}
    kept = [token for token in by_id if token in keep]
    return {token: i for i, token in enumerate(kept)}, merges


def tokenizer_seeds():
    vocab, merges = trimmed_tokenizer(12)
    vocab_json = json.dumps(vocab, ensure_ascii=False).encode()
    merges_txt = ("#version: 0.2\n" + "\n".join(merges) + "\n").encode()
    write("tokenizer", "trimmed", vocab_json + b"\0" + merges_txt)
    write("tokenizer", "crlf-no-header", vocab_json + b"\0" + "\r\n".join(merges[:4]).encode())
    write("tokenizer", "unknown-merge", vocab_json + b"\0" + b"#version: 0.2\nzz q\n")
    write("tokenizer", "bad-line", vocab_json + b"\0" + merges[0].replace(" ", "  ").encode() + b"\n")
    write("tokenizer", "no-merges", vocab_json)
    smaller = dict(list(vocab.items())[:100])
    write("tokenizer", "missing-bytes", json.dumps(smaller, ensure_ascii=False).encode() + b"\0")

    full = json.load(open(os.path.join(FIXTURES, "tokenizer", "transformers5", "tokenizer.json"), encoding="utf-8"))
    config = open(os.path.join(FIXTURES, "tokenizer", "transformers5", "tokenizer_config.json"), encoding="utf-8").read()
    model_vocab = full["model"]["vocab"]
    by_id = sorted(model_vocab, key=model_vocab.get)
    pairs = full["model"]["merges"][:12]
    keep = byte_alphabet() | {"<|endoftext|>"} | {"".join(p) if isinstance(p, list) else p.replace(" ", "") for p in pairs}
    kept = [token for token in by_id if token in keep]
    full["model"]["vocab"] = {token: i for i, token in enumerate(kept)}
    full["model"]["merges"] = pairs
    full["added_tokens"][0]["id"] = full["model"]["vocab"]["<|endoftext|>"]
    compact = json.dumps(full, ensure_ascii=False, separators=(",", ":")).encode()
    write("tokenizer_json", "trimmed", compact)
    write("tokenizer_json", "trimmed-config", compact + b"\0" + config.encode())
    as_strings = json.loads(compact)
    as_strings["model"]["merges"] = [" ".join(p) if isinstance(p, list) else p for p in pairs]
    write("tokenizer_json", "string-merges", json.dumps(as_strings, ensure_ascii=False, separators=(",", ":")))
    refused = json.loads(compact)
    refused["normalizer"] = {"type": "NFC"}
    refused["model"]["dropout"] = 0.1
    write("tokenizer_json", "refused-settings", json.dumps(refused, ensure_ascii=False, separators=(",", ":")))
    write("tokenizer_json", "prefix-space-config", compact + b"\0" + b'{"add_prefix_space": true}')


if __name__ == "__main__":
    jsonl_seeds()
    import_seeds()
    sft_seeds()
    id_lines_seeds()
    safetensors_seeds()
    config_seeds()
    tokenizer_seeds()
