"""Catalog search: exact identity first (ids, set + number, number/total), fuzzy names second."""
from __future__ import annotations

import re
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, replace
from datetime import date
from typing import Iterable

from rapidfuzz import fuzz, process

from core.identity.onepiece import OnePieceId
from core.identity.pokemon import CardNumber, number_key
from core.identity.query import QueryParts, parse_query, take_numbers
from core.identity.text import InputError, clean_query, fold
from core.models import Card, CardSet, Game

NAME_CUTOFF = 72.0  # below this a name match is a guess, not a hit
SURE_SCORE = 90.0  # a lone fuzzy match below this is offered as a choice, never silently priced
RELATED_FLOOR = 60.0  # weaker matches are noise in a result list
TIE_MARGIN = 0.5
MAX_CHOICES = 25
RESULT_CACHE_SIZE = 4096
EMPTY_CATALOG = ("The card catalog is empty: no cards have been imported yet. The operator imports them with "
                 "`tcgtracker catalog import` (see the README).")
_ZERO_PADDED = re.compile(r"^([a-z]+)0+(\d)")  # "sv08" on a listing means set sv8
ANOTHER_NAME_MARGIN = 10.0  # a name scoring this far below the best one is another card's
NUMBER_EVIDENCE = 10.0  # a matching printed number is evidence on top of the name
PART_OF_A_WORD = 3.0  # a query found only inside a longer word of the name
_EXTRA_ALIASES = {"base set": "base1", "sv151": "sv3pt5", "pokemon 151": "sv3pt5", "sv 151": "sv3pt5"}
# Names collectors give single cards, checked against the real catalog and sales titles ("Umbreon VMAX
# 215/203 Alt Art"). Operators add their community's in [search] nicknames.
NICKNAMES = {"moonbreon": "swsh7-215"}
_GOLD_STAR = re.compile(r"\bgold(?:en)?\s*stars?\b", re.IGNORECASE)  # the ★ printings: "Charizard ★ δ"


@dataclass(frozen=True, slots=True)
class Resolved:
    card: Card


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """Every card that fits equally well, best (then newest) first: 27 cards are named plain "Charizard", and
    a platform that can list only some must still say how many there are (Base Set's is the oldest)."""

    choices: tuple[Card, ...]


@dataclass(frozen=True, slots=True)
class NotFound:
    message: str
    suggestions: tuple[Card, ...] = ()


Outcome = Resolved | Ambiguous | NotFound


@dataclass(frozen=True, slots=True)
class SearchFilters:
    game: Game | None = None
    set_code: str | None = None
    rarity: str | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    outcome: Outcome
    ranked: tuple[Card, ...]  # best first


@dataclass(frozen=True, slots=True)
class _Scored:
    card: Card
    score: float


class CatalogIndex:
    """An in-memory index over the whole catalog (≈25k cards fit in a few MB)."""

    def __init__(self, sets: Iterable[CardSet], cards: Iterable[Card], nicknames: dict[str, str] | None = None) -> None:
        """`nicknames`: folded name -> canonical id, on top of NICKNAMES (ids not in the catalog are ignored)."""
        self.sets: dict[tuple[Game, str], CardSet] = {(s.game, s.code.lower()): s for s in sets}
        self.cards: list[Card] = list(cards)
        self._by_id = {c.canonical_id.lower(): c for c in self.cards}
        self._nicknames = {fold(name): card for name, card_id in {**NICKNAMES, **(nicknames or {})}.items()
                           if (card := self._by_id.get(card_id.lower())) is not None}
        self._by_set_number: dict[tuple[str, str], list[Card]] = defaultdict(list)
        self._by_number: dict[str, list[Card]] = defaultdict(list)
        self._by_set: dict[str, list[Card]] = defaultdict(list)
        self._op_base: dict[str, list[Card]] = defaultdict(list)
        self._name_cards: dict[str, list[Card]] = defaultdict(list)
        self._folded: dict[str, str] = {}
        for card in self.cards:
            self._add(card)
        self._names = list(self._name_cards)
        self._name_words = {w for name in self._names for w in name.split()}
        self._aliases = self._build_aliases()
        self._rank_key_cache: dict[str, tuple] = {}
        # Popular cards are asked for again and again (and the index never changes): a fuzzy pass over
        # every name costs ~7 ms, a repeat nothing. Results are immutable, so sharing them is safe.
        self._results: OrderedDict[tuple, SearchResult] = OrderedDict()

    # ------------------------------------------------------------ building

    def _add(self, card: Card) -> None:
        code = card.set_code.lower()
        key = number_key(card.number) if card.game is Game.POKEMON else card.number.upper()
        self._by_set_number[(code, key)].append(card)
        self._by_set[code].append(card)
        if card.game is Game.POKEMON:
            self._by_number[key].append(card)
        else:
            self._op_base[card.number.upper()].append(card)
            # "op05 119" means OP05-119: index the bare collector number within the set too.
            self._by_set_number[(code, _collector_number(card))].append(card)
            for pack in card.packs:
                if pack.lower() != code:
                    self._by_set[pack.lower()].append(card)
        folded = fold(card.name)
        self._folded[card.canonical_id] = folded
        self._name_cards[folded].append(card)

    def _build_aliases(self) -> dict[str, list[str]]:
        """Set codes, names and PTCGO codes -> set codes. A phrase that is also a card name stays a name."""
        aliases: dict[str, list[str]] = defaultdict(list)
        folded_names = {code: fold(card_set.name) for (_, code), card_set in self.sets.items()}
        for (_, code), card_set in self.sets.items():
            phrases = {fold(code)}
            name = folded_names[code]
            if name and name not in self._name_cards and name != fold(code):
                phrases.add(name)
            ptcgo = fold(card_set.ptcgo_code or "")
            if len(ptcgo) >= 3 and ptcgo not in self._name_words:
                phrases.add(ptcgo)
            for phrase in phrases - {""}:
                aliases[phrase].append(code)
        for phrase in list(aliases):  # "celebrations" also means "Celebrations: Classic Collection"
            subsets = [code for code, name in folded_names.items() if name.startswith(phrase + " ")]
            aliases[phrase].extend(c for c in subsets if c not in aliases[phrase])
        for phrase, codes in self._first_word_aliases(folded_names).items():
            aliases.setdefault(phrase, codes)
        for phrase, code in _EXTRA_ALIASES.items():
            if (Game.POKEMON, code) in self.sets:
                aliases[phrase] = [code]
        return dict(aliases)

    def _first_word_aliases(self, folded_names: dict[str, str]) -> dict[str, list[str]]:
        """'prismatic', 'evolving', 'surging': collectors shorten a set to the first word of its name. Only a
        word no card name uses and every set whose name contains it starts with ('fates' ends three names), so
        'astral' is Astral Radiance and its Trainer Gallery, 'legendary' both Legendary sets. Five letters at
        least: 'hgss' and 'swsh' name eras as often as the promo sets that start with them."""
        sets_with: dict[str, set[str]] = defaultdict(set)
        for code, name in folded_names.items():
            for word in name.split():
                sets_with[word].add(code)
        found: dict[str, list[str]] = {}
        for name in folded_names.values():
            words = name.split()
            if len(words) < 2 or len(words[0]) < 5 or words[0] in self._name_words:
                continue
            family = sets_with[words[0]]
            if all(folded_names[code].split()[0] == words[0] for code in family):
                found[words[0]] = sorted(family, key=lambda code: (len(folded_names[code]), code))  # the set first
        return found

    # ------------------------------------------------------------ public API

    def get(self, canonical_id: str) -> Card | None:
        return self._by_id.get(canonical_id.strip().lower())

    def cards_at(self, set_code: str, printed_number: str) -> list[Card]:
        """Cards of a set with a printed number ('199', 'TG05', 'OP05-119' or '119' for One Piece)."""
        return list(self._by_set_number.get((set_code.lower(), number_key(printed_number)), []))

    def onepiece_group(self, base_id: str) -> list[Card]:
        """A One Piece id's base print and its parallels/reprints, base first."""
        group = self._op_base.get(base_id.upper(), [])
        return sorted(group, key=lambda c: (c.variant is not None, _variant_order(c.variant)))

    def set_of(self, card: Card) -> CardSet | None:
        return self.sets.get((card.game, card.set_code.lower()))

    def list_sets(self, game: Game | None = None) -> list[CardSet]:
        chosen = [s for s in self.sets.values() if game is None or s.game is game]
        return sorted(chosen, key=lambda s: (s.game, s.release_date or date.min, s.code), reverse=True)

    def search(self, query: object, filters: SearchFilters = SearchFilters(), limit: int = MAX_CHOICES) -> SearchResult:
        """Total: any input gives a SearchResult; refused input gives NotFound with the reason."""
        try:
            text = clean_query(query)
        except InputError as err:
            return SearchResult(NotFound(str(err)), ())
        if not self.cards:  # a new deployment: "no card matches" for every card would send people hunting typos
            return SearchResult(NotFound(EMPTY_CATALOG), ())
        key = (text, filters, limit)
        cached = self._results.get(key)
        if cached is not None:
            self._results.move_to_end(key)
            return cached
        result = self._search(text, filters, limit)
        self._results[key] = result
        if len(self._results) > RESULT_CACHE_SIZE:
            self._results.popitem(last=False)
        return result

    def _search(self, text: str, filters: SearchFilters, limit: int) -> SearchResult:
        text = _GOLD_STAR.sub("star", text)
        parts = parse_query(text)
        if fold(text) in self._name_cards and (parts.rarities or parts.parallel or parts.finish):
            # 'gold berry', 'rainbow energy': a card's whole name, not a name plus hint words
            parts = replace(parts, tokens=tuple(fold(text).split()), rarities=frozenset(), parallel=False, finish=None)
        if parts.op_ids:
            return self._by_onepiece_id(parts.op_ids[0], parts, filters)
        exact = self.get(text) or self._nicknames.get(fold(text))
        if exact is not None and _passes(exact, filters):
            return SearchResult(Resolved(exact), (exact,))
        scored, by_identity = self._score(parts, filters)
        return self._outcome(text, scored, limit, by_identity)

    # ------------------------------------------------------------ One Piece ids

    def _by_onepiece_id(self, op_id: OnePieceId, parts: QueryParts, filters: SearchFilters) -> SearchResult:
        group = [c for c in self.onepiece_group(op_id.base_id) if _passes(c, filters)]
        if op_id.variant:
            exact = [c for c in group if c.variant == op_id.variant]
            if exact:
                return SearchResult(Resolved(exact[0]), tuple(exact + [c for c in group if c not in exact]))
        if parts.parallel:
            group = [c for c in group if (c.variant or "").startswith("p")] or group
        if not group:
            nearby = tuple(self._by_set.get(op_id.set_code.lower(), [])[:5])
            return SearchResult(NotFound(f"No card {op_id.canonical_id} in the catalog.", nearby), nearby)
        outcome = Resolved(group[0]) if len(group) == 1 else Ambiguous(tuple(group))
        return SearchResult(outcome, tuple(group))

    # ------------------------------------------------------------ scoring

    def _score(self, parts: QueryParts, filters: SearchFilters) -> tuple[list[_Scored], bool]:
        """Scored cards, and whether a printed number (not a name alone) chose the pool."""
        tokens = list(parts.tokens)
        set_codes, tokens = self._take_sets(tokens)
        set_codes = [c.lower() for c in parts.op_sets] + set_codes
        if filters.set_code:
            set_codes = [filters.set_code.lower()]
        number, bare, name_tokens = take_numbers(tokens)
        name_tokens = [t for t in name_tokens if not t.isdigit()]
        if not set_codes and number is None and len(bare) == 1 and name_tokens:
            numbered = self._name_and_number(parts, filters, bare[0], " ".join(name_tokens))
            if numbered:
                return numbered, True
        with_set = self._score_interpretation(parts, filters, set_codes, number, bare, name_tokens)
        if set_codes and not filters.set_code and not parts.op_sets:
            best = with_set[0].score if with_set else 0.0
            if best < NAME_CUTOFF or (not name_tokens and number is None and not bare):
                _, bare_all, names_all = take_numbers(list(parts.tokens))
                names_all = [t for t in names_all if not t.isdigit()]
                without = self._score_interpretation(parts, filters, [], number, bare_all, names_all)
                if without and without[0].score >= max(best, 90.0 if not name_tokens else 0.0) + 0.01:
                    return without, number is not None
            elif name_tokens and number is None and best < SURE_SCORE:
                # 'giratina v astral': no Giratina V in Astral Radiance, whose V cards score ~82 on the "v"
                # alone; a name that fits cards elsewhere far better means the set was misremembered
                elsewhere = self._score_interpretation(parts, filters, [], None, bare, name_tokens)
                if elsewhere and elsewhere[0].score >= best + ANOTHER_NAME_MARGIN:
                    return elsewhere, False
        return with_set, number is not None or (bool(set_codes) and bool(bare))

    def _name_and_number(self, parts: QueryParts, filters: SearchFilters, number: int, name: str) -> list[_Scored]:
        """'pikachu 238', 'umbreon 215': the cards of that name printed with that number, if there are any.

        A number typed next to a name is what the card says in its corner: among cards the name matches,
        it picks the printing ('charizard 4' leaves only the Charizards numbered 4, not every Charizard)."""
        pool = self._by_number.get(number_key(str(number)), [])
        scored = [s for s in self._score_pool(pool, name) if s.score >= NAME_CUTOFF and _passes(s.card, filters)]
        best = max((s.score for s in scored), default=0.0)
        # 'charizard ex 199': Ogerpon ex 199 shares the "ex", not the name; it is not offered beside Charizard ex
        scored = [s for s in scored if s.score >= best - ANOTHER_NAME_MARGIN]
        ranked = self._adjust([_Scored(s.card, s.score + NUMBER_EVIDENCE) for s in scored], parts, [])
        if len({s.card for s in ranked}) > 1:
            # 'mewtwo 72' is Mewtwo V and Mewtwo-GX: the name scores closer to one, but the user chooses
            ranked = [_Scored(s.card, ranked[0].score) for s in ranked]
        return ranked

    def _take_sets(self, tokens: list[str]) -> tuple[list[str], list[str]]:
        """Greedy longest match of set names/codes among the tokens."""
        found: list[str] = []
        kept: list[str] = []
        i = 0
        while i < len(tokens):
            for size in (5, 4, 3, 2, 1):
                phrase = " ".join(tokens[i : i + size])
                if size == 1:
                    phrase = phrase if phrase in self._aliases else _ZERO_PADDED.sub(r"\1\2", phrase)
                if len(tokens[i : i + size]) == size and phrase in self._aliases:
                    found.extend(self._aliases[phrase])
                    i += size
                    break
            else:
                kept.append(tokens[i])
                i += 1
        return found, kept

    def _score_interpretation(
        self,
        parts: QueryParts,
        filters: SearchFilters,
        set_codes: list[str],
        number: CardNumber | None,
        bare: list[int],
        name_tokens: list[str],
    ) -> list[_Scored]:
        if set_codes and number is None and bare:
            number, bare = CardNumber("", bare[0]), bare[1:]
        pool = self._pool(set_codes, number)
        name = " ".join(name_tokens)
        if pool is None:
            scored = self._score_all_names(name) if name else []
        else:
            scored = self._score_pool(pool, name)
            if number is not None and name:
                scored = [_Scored(s.card, s.score + NUMBER_EVIDENCE) for s in scored]
        scored = [s for s in scored if _passes(s.card, filters)]
        return self._adjust(scored, parts, bare)

    def _pool(self, set_codes: list[str], number: CardNumber | None) -> list[Card] | None:
        """Cards the identity hints allow, or None when only the name can decide."""
        if number is not None:
            return self._number_pool(set_codes, number)
        if set_codes:
            return [c for code in dict.fromkeys(set_codes) for c in self._by_set.get(code, [])]
        return None

    def _number_pool(self, set_codes: list[str], number: CardNumber) -> list[Card]:
        key = number.key
        if number.promo_set and not set_codes:
            set_codes = [number.promo_set]
        if set_codes:
            found = [c for code in set_codes for c in self._by_set_number.get((code, key), [])]
            if not found:  # Trainer/Galarian Gallery numbers live in a subset (swsh9 -> swsh9tg)
                subsets = [code for (_, code) in self.sets if any(code.startswith(s) for s in set_codes)]
                found = [c for code in subsets for c in self._by_set_number.get((code, key), [])]
            return found
        found = self._by_number.get(key, [])
        if number.total is not None:
            found = [c for c in found if self._total_matches(c, number.total)]
        return list(found)

    def _total_matches(self, card: Card, total: int) -> bool:
        card_set = self.set_of(card)
        return card_set is not None and total in (card_set.printed_total, card_set.total)

    def _score_all_names(self, name: str) -> list[_Scored]:
        hits = process.extract(
            name, self._names, scorer=fuzz.WRatio, processor=None, limit=80, score_cutoff=50
        )
        return [
            _Scored(card, _name_score(name, hit, score)) for hit, score, _ in hits for card in self._name_cards[hit]
        ]

    def _score_pool(self, pool: list[Card], name: str) -> list[_Scored]:
        if not name:
            return [_Scored(card, 100.0) for card in pool]
        cache: dict[str, float] = {}
        scored = []
        for card in pool:
            folded = self._folded[card.canonical_id]
            if folded not in cache:
                cache[folded] = _name_score(name, folded, fuzz.WRatio(name, folded, processor=None))
            scored.append(_Scored(card, cache[folded]))
        return scored

    def _adjust(self, scored: list[_Scored], parts: QueryParts, bare: list[int]) -> list[_Scored]:
        """Soft hints: rarity words, parallels and stray numbers lift matching cards."""
        wanted_numbers = {number_key(str(n)) for n in bare}
        adjusted = []
        for item in scored:
            card, score = item.card, item.score
            if parts.rarities and card.rarity in parts.rarities:
                score += 5
            if parts.parallel and (card.variant or "").startswith("p"):
                score += 5
            if wanted_numbers and _collector_number(card) in wanted_numbers:
                score += 5
            adjusted.append(_Scored(card, score))
        # The rarity narrows the cards the name matches best: 'mew ex 151 sir' (151 has no Mew ex SIR) offers
        # the Mew ex of 151, not every other SIR of the set.
        best_name = max((s.score for s in scored), default=0.0)
        if parts.rarities and any(c.card.rarity in parts.rarities and s.score >= best_name - ANOTHER_NAME_MARGIN
                                  for c, s in zip(adjusted, scored)):
            adjusted = [c for c in adjusted if c.card.rarity in parts.rarities]
        if parts.variant and any(c.card.variant == parts.variant for c in adjusted):
            adjusted = [c for c in adjusted if c.card.variant == parts.variant]
        adjusted.sort(key=lambda s: (-s.score, *self._rank_key(s.card)))
        return adjusted

    def _rank_key(self, card: Card) -> tuple:
        """Ties: newest set first, then lowest number, base print before parallels."""
        cached = self._rank_key_cache.get(card.canonical_id)
        if cached is None:
            card_set = self.set_of(card)
            released = card_set.release_date if card_set and card_set.release_date else date.min
            cached = (-released.toordinal(), card.set_code, _number_sort(card.number), card.variant or "")
            self._rank_key_cache[card.canonical_id] = cached
        return cached

    # ------------------------------------------------------------ outcome

    def _outcome(self, text: str, scored: list[_Scored], limit: int, by_identity: bool) -> SearchResult:
        if not scored or scored[0].score < NAME_CUTOFF:
            suggestions = tuple(dict.fromkeys(s.card for s in scored))[:5]
            return SearchResult(NotFound(f"No card matches “{text}”.", suggestions), suggestions)
        ranked = tuple(dict.fromkeys(s.card for s in scored if s.score >= RELATED_FLOOR))[:limit]
        best = scored[0].score
        top = tuple(dict.fromkeys(s.card for s in scored if s.score >= best - TIE_MARGIN))
        if len(top) == 1 and by_identity and len(scored) == 1:
            return SearchResult(Resolved(top[0]), ranked)
        if len(top) == 1 and best >= SURE_SCORE:
            if not _lacks_a_mechanic(text, top[0]):
                return SearchResult(Resolved(top[0]), ranked)
            # 'mewtwo ex 151' when 151 has no Mewtwo ex: Mewtwo is a guess, so it is offered, not priced
            return SearchResult(Ambiguous(tuple(dict.fromkeys((*top, *ranked)))[:MAX_CHOICES]), ranked)
        return SearchResult(Ambiguous(top), ranked)


def _name_score(query: str, name: str, wratio: float) -> float:
    """WRatio rewards a short name found inside a longer query ('mew' in 'mewtoo'); a user who typed
    more than the name did not mean it, so such pairs fall back to plain similarity."""
    if len(name) < len(query) and not set(name.split()) <= set(query.split()):
        return min(wratio, max(fuzz.ratio(query, name), fuzz.token_sort_ratio(query, name)))
    if len(name) > len(query) and not set(query.split()) <= set(name.split()):
        # Only inside a longer word ('luffy' in 'Fluffy Berry'): a name that has the words themselves
        # ('Monkey.D.Luffy') goes first. A typo loses the same on every candidate, so their order holds.
        return wratio - PART_OF_A_WORD
    return wratio


_MECHANICS = frozenset({"ex", "gx", "v", "vmax", "vstar", "break", "prime"})  # part of a card's identity


def _lacks_a_mechanic(query: str, card: Card) -> bool:
    """The query names a mechanic ('ex', 'vmax') the card's name does not have: another card was meant."""
    return bool(set(fold(query).split()) & _MECHANICS - set(fold(card.name).split()))


def _passes(card: Card, filters: SearchFilters) -> bool:
    if filters.game is not None and card.game is not filters.game:
        return False
    if filters.set_code and card.set_code.lower() != filters.set_code.lower() and filters.set_code.lower() not in (
        s.lower() for s in card.packs
    ):
        return False
    if filters.rarity and fold(card.rarity or "") != fold(filters.rarity):
        return False
    return True


def _variant_order(variant: str | None) -> tuple[str, int]:
    if not variant:
        return ("", 0)
    digits = "".join(ch for ch in variant if ch.isdigit())
    return (variant[0], int(digits) if digits else 0)


def _collector_number(card: Card) -> str:
    """The number people say: '199' for sv3pt5-199, '119' for OP05-119 ('luffy 119' means that one)."""
    number = card.number if card.game is Game.POKEMON else card.number.rsplit("-", 1)[-1]
    return number_key(number)


def _number_sort(number: str) -> tuple[str, int]:
    digits = "".join(ch for ch in number.split("-")[-1] if ch.isdigit())
    prefix = "".join(ch for ch in number if ch.isalpha())
    return (prefix, int(digits) if digits else 0)
