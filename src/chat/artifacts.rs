//! The artifact game of seed 001: a catalog, a hand per user, and swaps that never create or
//! lose an artifact.
//!
//! Every copy of an artifact is somewhere exactly once: in the deck, or in one user's hand.
//! A user is dealt [`HAND`] copies at registration; leaving returns the hand to the deck. A
//! swap is proposed (`:offer`), and settled (`:accept`) only if both sides *still* own what
//! was offered — between offer and accept either may have traded it away. The check and the
//! swap happen in one step under the room's lock (threads) or in the one thread (poll), so no
//! other swap can slip in between: that is what makes it atomic.

use crate::i18n::Lang;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// Artifacts dealt to each new user.
pub const HAND: usize = 3;

/// One artifact of the catalog, named in each language lab speaks, by its code (`"pt"`).
/// Seed 001's farmers' chat is Spanish: under `--dialect stardew` the names are the `"es"` ones.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Item {
    pub id: u32,
    pub name: BTreeMap<String, String>,
    pub description: BTreeMap<String, String>,
}

impl Item {
    /// Its name in `lang` (in English if the catalog has none in `lang`).
    pub fn name_in(&self, lang: Lang) -> &str {
        in_lang(&self.name, lang)
    }

    /// Its description in `lang` (in English if the catalog has none in `lang`).
    pub fn description_in(&self, lang: Lang) -> &str {
        in_lang(&self.description, lang)
    }
}

/// A text in `lang`, or in English.
fn in_lang(texts: &BTreeMap<String, String>, lang: Lang) -> &str {
    let text = texts.get(&lang.code()).or_else(|| texts.get("en"));
    text.map_or("", String::as_str)
}

/// The catalog shipped with the lab (`src/chat/artifacts.json`), read once.
pub fn catalog() -> &'static [Item] {
    static CATALOG: OnceLock<Vec<Item>> = OnceLock::new();
    // The file is part of the source tree and checked by a test: it always parses.
    CATALOG.get_or_init(|| {
        serde_json::from_str(include_str!("artifacts.json")).expect("artifacts.json is valid")
    })
}

/// `[3] Arrowhead` (`[3] Punta de flecha` in Spanish); `[99]` for an id not in the catalog.
pub fn label_in(id: u32, lang: Lang) -> String {
    match catalog().iter().find(|i| i.id == id) {
        Some(i) => format!("[{}] {}", i.id, i.name_in(lang)),
        None => format!("[{id}]"),
    }
}

/// Who owns what. `O` is the owner's id (the room's client id).
#[derive(Debug)]
pub struct Artifacts<O> {
    items: Vec<Item>,
    deck: Vec<u32>,
    hands: HashMap<O, Vec<u32>>,
}

/// Why a swap did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwapError {
    /// The proposer no longer has the artifact they offered.
    ProposerLacks(u32),
    /// The accepter no longer has the artifact asked for.
    AccepterLacks(u32),
    /// The proposer already holds a copy of what they would get: a hand holds each artifact
    /// once.
    ProposerHas(u32),
    /// The accepter already holds a copy of what they would get.
    AccepterHas(u32),
}

impl<O: Copy + Eq + std::hash::Hash> Artifacts<O> {
    /// A deck with enough copies for `players` hands, shuffled by `seed` (the same seed deals
    /// the same hands in the same order).
    pub fn new(players: usize, seed: u64) -> Artifacts<O> {
        let items = catalog().to_vec();
        let copies = (players * HAND).div_ceil(items.len()).max(1);
        let mut deck: Vec<u32> = items
            .iter()
            .flat_map(|i| std::iter::repeat_n(i.id, copies))
            .collect();
        shuffle(&mut deck, seed);
        Artifacts {
            items,
            deck,
            hands: HashMap::new(),
        }
    }

    /// Deals a new player's hand from the top of the deck: [`HAND`] distinct artifacts (a hand
    /// of two Rusty Spoons would make `:offer` ambiguous), fewer if the deck runs out of
    /// distinct ones. The copies passed over stay in the deck, in their order.
    pub fn deal(&mut self, who: O) -> &[u32] {
        let mut hand: Vec<u32> = Vec::new();
        let mut i = self.deck.len();
        while i > 0 && hand.len() < HAND {
            i -= 1;
            if !hand.contains(&self.deck[i]) {
                hand.push(self.deck.remove(i));
            }
        }
        self.hands.entry(who).or_default().extend(hand);
        &self.hands[&who]
    }

    /// Replaces a player's hand with the artifacts it names (seed 001's players declare what
    /// they have): the old hand goes back to the deck, then one copy of each wanted id is taken
    /// from it, distinct, at most [`HAND`] of them. An id with no copy left in the deck is not
    /// given: the census stays what it was.
    pub fn redeal(&mut self, who: O, wanted: &[u32]) -> &[u32] {
        self.return_hand(who);
        let mut hand: Vec<u32> = Vec::new();
        for id in wanted {
            if hand.len() == HAND || hand.contains(id) {
                continue;
            }
            if let Some(pos) = self.deck.iter().rposition(|x| x == id) {
                hand.push(self.deck.remove(pos));
            }
        }
        self.hands.insert(who, hand);
        &self.hands[&who]
    }

    /// A player leaves: their artifacts go back to the deck.
    pub fn return_hand(&mut self, who: O) {
        if let Some(hand) = self.hands.remove(&who) {
            self.deck.extend(hand);
        }
    }

    /// A player's artifacts, as catalog ids.
    pub fn hand(&self, who: O) -> &[u32] {
        self.hands.get(&who).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether `who` holds a copy of `id`.
    pub fn owns(&self, who: O, id: u32) -> bool {
        self.hand(who).contains(&id)
    }

    /// Finds an artifact by id (`3`, `[3]`) or by name, ignoring case (`rusty spoon`).
    pub fn find(&self, key: &str) -> Option<&Item> {
        let key = key.trim().trim_start_matches('[').trim_end_matches(']');
        match key.parse::<u32>() {
            Ok(id) => self.items.iter().find(|i| i.id == id),
            // By name in any language: `rusty spoon`, `cuchara oxidada`, `colher enferrujada`.
            Err(_) => self.items.iter().find(|i| {
                let key = key.to_lowercase();
                i.name.values().any(|name| name.to_lowercase() == key)
            }),
        }
    }

    /// `[3] Arrowhead`, in the run's language.
    pub fn label(&self, id: u32) -> String {
        label_in(id, crate::i18n::lang())
    }

    /// Whether `proposer` may give `give` for `accepter`'s `take`: both own theirs, and neither
    /// would end up with two copies of one artifact (a hand of two Rusty Spoons makes `:offer`
    /// ambiguous, and the deal never gives one). Asked when an offer is made, and again when it
    /// is accepted: either hand may have changed in between.
    pub fn may_swap(
        &self,
        proposer: O,
        give: u32,
        accepter: O,
        take: u32,
    ) -> Result<(), SwapError> {
        if !self.owns(proposer, give) {
            return Err(SwapError::ProposerLacks(give));
        }
        if !self.owns(accepter, take) {
            return Err(SwapError::AccepterLacks(take));
        }
        if give != take && self.owns(proposer, take) {
            return Err(SwapError::ProposerHas(take));
        }
        if give != take && self.owns(accepter, give) {
            return Err(SwapError::AccepterHas(give));
        }
        Ok(())
    }

    /// Swaps one copy of `give` from `proposer` for one copy of `take` from `accepter`, if
    /// [`Artifacts::may_swap`]; otherwise changes nothing.
    pub fn swap(
        &mut self,
        proposer: O,
        give: u32,
        accepter: O,
        take: u32,
    ) -> Result<(), SwapError> {
        self.may_swap(proposer, give, accepter, take)?;
        // The checks passed and nothing can run between them and these lines.
        move_one(self.hands.get_mut(&proposer), give);
        move_one(self.hands.get_mut(&accepter), take);
        self.hands.entry(proposer).or_default().push(take);
        self.hands.entry(accepter).or_default().push(give);
        Ok(())
    }

    /// How many copies of each artifact exist, in the deck and all hands together. Constant
    /// for the life of the server: the conservation law tests check.
    pub fn census(&self) -> BTreeMap<u32, usize> {
        let mut count = BTreeMap::new();
        for id in self.deck.iter().chain(self.hands.values().flatten()) {
            *count.entry(*id).or_insert(0) += 1;
        }
        count
    }
}

fn move_one(hand: Option<&mut Vec<u32>>, id: u32) {
    if let Some(hand) = hand {
        if let Some(pos) = hand.iter().position(|x| *x == id) {
            hand.swap_remove(pos);
        }
    }
}

/// Fisher–Yates with splitmix64: a few lines instead of a dependency, and the same order for
/// the same seed on every machine (what `--seed` promises).
fn shuffle(v: &mut [u32], seed: u64) {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    for i in (1..v.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_loads_with_unique_ids() {
        let c = catalog();
        assert_eq!(c.len(), 20);
        let mut ids: Vec<u32> = c.iter().map(|i| i.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), 20);
    }

    #[test]
    fn a_hand_never_holds_the_same_artifact_twice() {
        for seed in 0..200 {
            // Many players, so the deck holds several copies of each artifact.
            let mut a: Artifacts<u32> = Artifacts::new(40, seed);
            for who in 0..40 {
                let left: std::collections::HashSet<u32> = a.deck.iter().copied().collect();
                let hand = a.deal(who).to_vec();
                let mut distinct = hand.clone();
                distinct.sort_unstable();
                distinct.dedup();
                assert_eq!(
                    distinct.len(),
                    hand.len(),
                    "seed {seed}, player {who}: {hand:?}"
                );
                assert_eq!(
                    hand.len(),
                    HAND.min(left.len()),
                    "seed {seed}, player {who}: as full as the deck allows"
                );
            }
        }
    }

    #[test]
    fn the_same_seed_deals_the_same_hands() {
        let mut a: Artifacts<u32> = Artifacts::new(10, 42);
        let mut b: Artifacts<u32> = Artifacts::new(10, 42);
        assert_eq!(a.deal(1).to_vec(), b.deal(1).to_vec());
        assert_eq!(a.deal(2).to_vec(), b.deal(2).to_vec());
        let mut c: Artifacts<u32> = Artifacts::new(10, 43);
        let _ = c.deal(1);
        assert_eq!(a.hand(1).len(), HAND);
    }

    #[test]
    fn a_swap_moves_exactly_one_copy_each_way() {
        let mut a: Artifacts<u32> = Artifacts::new(2, 7);
        let before = a.census();
        let give = a.deal(1)[0];
        let take = a.deal(2)[0];
        a.swap(1, give, 2, take).unwrap();
        assert!(a.owns(2, give) && a.owns(1, take));
        assert_eq!(a.census(), before);
    }

    #[test]
    fn a_swap_of_something_no_longer_owned_changes_nothing() {
        let mut a: Artifacts<u32> = Artifacts::new(2, 7);
        a.deal(1);
        a.deal(2);
        let before = (a.hand(1).to_vec(), a.hand(2).to_vec());
        let missing = (1..=20).find(|id| !a.owns(1, *id)).unwrap();
        assert_eq!(
            a.swap(1, missing, 2, a.hand(2)[0]),
            Err(SwapError::ProposerLacks(missing))
        );
        assert_eq!((a.hand(1).to_vec(), a.hand(2).to_vec()), before);
    }

    #[test]
    fn leaving_returns_the_hand() {
        let mut a: Artifacts<u32> = Artifacts::new(3, 1);
        let before = a.census();
        a.deal(1);
        a.return_hand(1);
        assert!(a.hand(1).is_empty());
        assert_eq!(a.census(), before);
    }

    #[test]
    fn find_by_id_or_name() {
        let a: Artifacts<u32> = Artifacts::new(1, 1);
        assert_eq!(a.find("3").unwrap().name_in(Lang::En), "Arrowhead");
        assert_eq!(a.find("[11]").unwrap().name_in(Lang::En), "Rusty Spoon");
        assert_eq!(a.find("colher ENFERRUJADA").unwrap().id, 11);
        assert_eq!(a.find("anchor").unwrap().id, 18);
        assert!(a.find("99").is_none());
        assert_eq!(
            a.find("Cuchara oxidada").unwrap().id,
            11,
            "by its Spanish name too"
        );
    }

    #[test]
    fn every_artifact_is_named_in_every_language_and_labels_follow_the_language() {
        use strum::IntoEnumIterator;
        for (i, lang) in catalog()
            .iter()
            .flat_map(|i| Lang::iter().map(move |l| (i, l)))
        {
            let (name, description) = (i.name.get(&lang.code()), i.description.get(&lang.code()));
            assert!(name.is_some_and(|n| !n.is_empty()), "{} in {lang:?}", i.id);
            assert!(
                description.is_some_and(|d| !d.is_empty()),
                "{} in {lang:?}",
                i.id
            );
        }
        assert_eq!(label_in(3, Lang::Pt), "[3] Ponta de flecha");
        assert_eq!(label_in(3, Lang::En), "[3] Arrowhead");
        assert_eq!(label_in(3, Lang::Es), "[3] Punta de flecha");
        assert_eq!(label_in(99, Lang::Es), "[99]");
    }

    #[test]
    fn a_declared_hand_comes_from_the_deck_and_conserves_the_census() {
        let mut a: Artifacts<u32> = Artifacts::new(2, 7);
        let before = a.census();
        a.deal(1);
        assert_eq!(
            a.redeal(1, &[1, 2, 2, 99]),
            &[1, 2],
            "distinct, known ids only"
        );
        assert_eq!(a.census(), before);
        // Player 2 wants 1 as well: with one copy of each and player 1 holding it, none is left.
        a.deal(2);
        let got = a.redeal(2, &[1, 3]).to_vec();
        assert_eq!(a.census(), before);
        assert!(got.iter().all(|id| a.census()[id] >= 1));
        assert!(
            !got.contains(&1) || a.census()[&1] > 1,
            "a copy is never made: {got:?}"
        );
    }
}
