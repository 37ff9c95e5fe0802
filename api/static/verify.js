/* Huzhu: checks a payment's Merkle inclusion proof in the browser (the page "Check my payment").

   The same check as `verify` in ledger/core/merkle.py, with the browser's own SHA-256
   (crypto.subtle, only available over HTTPS or on localhost):

     leaf text = "huzhu-leaf/1|entity|seq|date|entry hash|receipt digest or -|postings"
                 postings = "account:currency:debit:credit" joined by ";"
     leaf      = SHA-256(0x00 || UTF-8 leaf text)
     node      = SHA-256(0x01 || left || right)   (an odd last node is carried up)

   Each proof is a JSON island, <script type="application/json" id="..."> holding
   {"proof": {...}, "root": "<the published root>", "code": "<receipt code>",
   "amount_fen": <amount in fen>}, named by the data-proof attribute of its section. The
   island is read afresh at every check. The messages come from the island "verify-messages".
   No other file, no network request, no inline script. */
(function () {
  "use strict";

  var HEX64 = /^[0-9a-f]{64}$/;
  var LEAF_VERSION = "huzhu-leaf/1";
  var encoder = new TextEncoder();

  function messages() {
    var island = document.getElementById("verify-messages");
    try {
      return island ? JSON.parse(island.textContent) : {};
    } catch (error) {
      return {};
    }
  }

  function toHex(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i += 1) {
      out += bytes[i].toString(16).padStart(2, "0");
    }
    return out;
  }

  function fromHex(text) {
    if (typeof text !== "string" || !HEX64.test(text)) {
      throw new Failure("malformed");
    }
    var out = new Uint8Array(32);
    for (var i = 0; i < 32; i += 1) {
      out[i] = parseInt(text.substr(i * 2, 2), 16);
    }
    return out;
  }

  function Failure(reason) {
    this.reason = reason;
  }

  function whole(value) {
    if (typeof value !== "number" || !Number.isSafeInteger(value)) {
      throw new Failure("malformed");
    }
    return String(value);
  }

  function text(value) {
    if (typeof value !== "string") {
      throw new Failure("malformed");
    }
    return value;
  }

  /* The one line that is hashed: exactly leaf_text() of ledger/core/merkle.py. */
  function leafText(leaf) {
    if (!leaf || !Array.isArray(leaf.postings)) {
      throw new Failure("malformed");
    }
    var postings = leaf.postings.map(function (p) {
      if (!Array.isArray(p) || p.length !== 4) {
        throw new Failure("malformed");
      }
      return [text(p[0]), text(p[1]), whole(p[2]), whole(p[3])].join(":");
    }).join(";");
    return [LEAF_VERSION, text(leaf.entity), whole(leaf.seq), text(leaf.date),
      text(leaf.entry_hash), text(leaf.receipt) || "-", postings].join("|");
  }

  async function sha256(parts) {
    var length = parts.reduce(function (sum, part) { return sum + part.length; }, 0);
    var joined = new Uint8Array(length);
    var at = 0;
    parts.forEach(function (part) {
      joined.set(part, at);
      at += part.length;
    });
    return new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
  }

  /* The sides a path must have for leaf `index` of `size` (expected_steps). */
  function expectedSides(size, index) {
    var sides = [];
    while (size > 1) {
      var sibling = index ^ 1;
      if (sibling < size) {
        sides.push(sibling < index ? "L" : "R");
      }
      index = Math.floor(index / 2);
      size = Math.floor((size + 1) / 2);
    }
    return sides;
  }

  /* Resolves to null when the proof holds, else to the reason it does not. */
  async function check(data) {
    var proof = data && data.proof;
    if (!proof || proof.version !== LEAF_VERSION || !proof.leaf || !Array.isArray(proof.path)) {
      throw new Failure("malformed");
    }
    var leaf = proof.leaf;
    var code = await sha256([encoder.encode(text(data.code))]);
    if (toHex(code) !== leaf.receipt) {
      return "code";
    }
    var paid = leaf.postings.some(function (p) {
      return Array.isArray(p) && p[2] === data.amount_fen;
    });
    if (!paid) {
      return "amount";
    }
    var size = proof.size;
    var index = proof.index;
    whole(size);
    whole(index);
    var sides = proof.path.map(function (step) { return step && step.side; });
    if (index < 0 || index >= size
        || sides.join("") !== expectedSides(size, index).join("")) {
      return "position";
    }
    var current = await sha256([new Uint8Array([0]),
      encoder.encode(leafText(leaf))]);
    for (var i = 0; i < proof.path.length; i += 1) {
      var sibling = fromHex(proof.path[i].hash);
      current = proof.path[i].side === "L"
        ? await sha256([new Uint8Array([1]), sibling, current])
        : await sha256([new Uint8Array([1]), current, sibling]);
    }
    fromHex(data.root);
    return toHex(current) === data.root ? null : "root";
  }

  function show(verdict, state, message, detail) {
    verdict.classList.remove("pending", "ok", "bad", "warn");
    verdict.classList.add(state);
    verdict.textContent = detail ? message + " " + detail : message;
  }

  async function run(section, words) {
    var verdict = section.querySelector("[data-verdict]");
    var island = document.getElementById(section.getAttribute("data-proof"));
    if (!verdict || !island) {
      return;
    }
    if (!window.crypto || !window.crypto.subtle || !window.TextEncoder) {
      show(verdict, "warn", words.no_crypto || "HTTPS needed.");
      return;
    }
    show(verdict, "pending", words.checking || "…");
    var reason;
    try {
      reason = await check(JSON.parse(island.textContent));
    } catch (error) {
      reason = error instanceof Failure ? error.reason : "malformed";
    }
    if (reason === null) {
      show(verdict, "ok", words.verified || "✓");
    } else {
      show(verdict, "bad", words.mismatch || "✗", words[reason] || "");
    }
  }

  function start() {
    var words = messages();
    document.querySelectorAll("[data-proof]").forEach(function (section) {
      var again = section.querySelector("[data-check]");
      if (again) {
        again.hidden = false;
        again.addEventListener("click", function () { run(section, words); });
      }
      run(section, words);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
