"""The NLU component that turns cues into id-valued entities and lets risk lead the intent."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.cue_extractor import CueEntityExtractor


def parse(nlp, text: str, intent: Optional[Dict[str, Any]] = None,
          entities: Optional[List[Dict[str, Any]]] = None, threshold: float = 0.6) -> Message:
    message = Message(data={TEXT: text})
    message.set(SPACY_DOCS[TEXT], nlp(text))
    message.set(INTENT, intent or {"name": "inform", "confidence": 0.9})
    message.set(INTENT_RANKING_KEY, [intent or {"name": "inform", "confidence": 0.9}])
    message.set(ENTITIES, entities or [])
    CueEntityExtractor({"intent_risk_threshold": threshold, "need_role_threshold": 0.6}).process([message])
    return message


def values(message: Message, kind: str) -> List[str]:
    return [e["value"] for e in message.get(ENTITIES) if e["entity"] == kind]


def test_rule_cues_become_need_entities_valued_with_the_need_id(nlp):
    message = parse(nlp, "my universal credit got sanctioned and i lost my job")
    assert set(values(message, "need")) >= {"benefits", "employment"}


def test_a_risk_cue_leads_the_intent_whatever_the_classifier_said(nlp):
    message = parse(nlp, "i want to kill myself", intent={"name": "greet", "confidence": 0.99})
    assert values(message, "risk") == ["suicide_self_harm"]
    assert message.get(INTENT) == {"name": "risk_suicide_self_harm", "confidence": 1.0}
    assert message.get(INTENT_RANKING_KEY)[0]["name"] == "risk_suicide_self_harm"


def test_the_most_urgent_of_several_risks_leads(nlp):
    message = parse(nlp, "the bailiffs are coming tomorrow and i want to kill myself")
    assert message.get(INTENT)["name"] == "risk_suicide_self_harm"
    assert "suicide_self_harm" in values(message, "risk")


@pytest.mark.parametrize("text, risk", [
    ("im gonna jump off the bridge", "suicide_self_harm"),
    ("stood on the roof thinkin about jumpin", "suicide_self_harm"),
    ("the court gave possession in 3 days", "eviction_imminent"),
    ("possession order is for friday and ive got nowhere", "eviction_imminent"),
    ("the eviction warrant is for this wednesday", "eviction_imminent"),
    ("we got the warrant, date is thursday", "eviction_imminent"),
    ("hes coming with his mates on saturday to throw us out", "eviction_imminent"),
    ("the refuge kicked me out this morning", "homeless_tonight"),
    ("landlord says we have to be out by the weekend", "eviction_imminent"),
    ("their dad is drunk and passed out and the baby is screaming", "child_at_risk"),
    ("the little one is up and mum's passed out high on the settee", "child_at_risk"),
    ("i dont want to live in this world anymore", "suicide_self_harm"),
    ("i wont be around much longer so it doesnt matter", "suicide_self_harm"),
    ("im not going to be here much longer", "suicide_self_harm"),
    ("it would be easier for everyone if i wasnt here", "suicide_self_harm"),
    ("been stood at the edge of the platform for an hour", "suicide_self_harm"),
    ("got my tablets here and ill take the lot tonight", "suicide_self_harm"),
    ("he chokes me when he's had a drink", "harm_from_others"),
    ("my parents are going to force me to marry him", "harm_from_others"),
    ("i feel like im going to hurt the baby", "child_at_risk"),
    ("her dad hit her with a belt", "child_at_risk"),
    ("my stepdad comes into her room at night", "child_at_risk"),
    ("ive been living in a tent for a week", "homeless_tonight"),
    ("the hostel kicked me out this morning", "homeless_tonight"),
    ("the sheriffs are coming in 48 hours", "eviction_imminent"),
    ("she says her mum's boyfriend touches her", "child_at_risk"),
    ("my stepdad keeps coming into my room", "child_at_risk"),
    ("my son's dad burnt him with a cigarette", "child_at_risk"),
    ("he burnt me with a cigarette when i said no", "harm_from_others"),
    # history brought back to now
    ("i used to self harm as a teenager and ive started again", "suicide_self_harm"),
    ("slept rough years ago and im sleeping rough again tonight", "homeless_tonight"),
    # a past time in another sentence leaves this one alone
    ("we had no electric back in 2021. now the meter has no credit", "no_food_or_heating"),
    # a story on the news brought back to now; a bad time or the telly beside danger now
    ("saw a thing on the news and i want to kill myself tonight", "suicide_self_harm"),
    ("going through a bad patch, been self harming", "suicide_self_harm"),
    ("i've had a terrible year and i want to kill myself", "suicide_self_harm"),
    ("he hits me when the football is on tv", "harm_from_others"),
    # session 13: a word between who and what, and more ways of saying it
    ("my partner also kicks me when the money runs out", "harm_from_others"),
    ("her stepdad sometimes hits her when he's drunk", "child_at_risk"),
    ("i have nowhere else to sleep", "homeless_tonight"),
    ("we havent eaten properly in three days", "no_food_or_heating"),
    ("i havent eaten a meal since monday", "no_food_or_heating"),
    ("lately i keep thinking about just never waking up", "suicide_self_harm"),
    ("i just want to go to sleep forever", "suicide_self_harm"),
    ("thought about drinking the bleach under the sink", "suicide_self_harm"),
    ("ive been cutting on my thighs again", "suicide_self_harm"),
    ("my 14 year old keeps cutting herself", "suicide_self_harm"),
    ("been stockpiling my tablets for a while", "suicide_self_harm"),
    ("he beat our 4 year old last night", "child_at_risk"),
    ("they want to take my daughter abroad for fgm", "child_at_risk"),
])
def test_clear_danger_is_a_rule_cue_whatever_the_classifier_said(nlp, text, risk):
    message = parse(nlp, text, intent={"name": "inform", "confidence": 0.99})
    assert values(message, "risk") == [risk]


@pytest.mark.parametrize("text", ["this rent is killing me lol", "i'd kill for a cup of tea",
                                  "the kids are fine", "my phone died",
                                  "thinking about jumping ship to a better job",
                                  "possession hearing is in a few weeks", "im out on saturday night with mates",
                                  "the warrant was for an old parking fine, all paid",
                                  "i passed out at work and my son came to get me",
                                  "my daughter passed out at school, she's fine now",
                                  "my mum will kill me if i miss this again",
                                  "i dont want to live in this flat anymore, the damp is awful",
                                  "it'd be easier for everyone if i moved nearer my sister",
                                  "took an overdose when i was 19, i'm fine now",
                                  "i used to sleep rough years ago",
                                  "we had no electric for a bit in 2021",
                                  "had the gas cut off years back, never again",
                                  "i won't be here for long, my bus is due",
                                  "my toddler comes into my room at night after a bad dream",
                                  "i burnt my hand on the iron",
                                  "the warrant date was ages ago and it got suspended",
                                  "my mum threatens to kick me out one day lol",
                                  "the hostel asked me this morning about my benefits",
                                  # session 11
                                  "my nan is going to kill me when she finds out i lost my keys",
                                  "watched a documentary about people sleeping rough",
                                  "saw on the news a family with no heating ended up in hospital",
                                  # session 13
                                  "he also helps with the kids at the weekend",
                                  "she still takes the kids to school, its the rent",
                                  "i have nowhere else to turn for advice about the debt",
                                  "we havent eaten out in months, money is that tight",
                                  "the bleach is kept up high where the kids cant reach",
                                  "i hope i dont wake up late for my appointment",
                                  "i was cutting my hair at home to save money",
                                  "been saving up all my money for the deposit",
                                  "the leaflet about fgm at the gp was interesting",
                                  "is there a refuge for female survivors near stratford",
                                  "im cutting back on heating to save money"])
def test_near_misses_raise_no_risk(nlp, text):
    message = parse(nlp, text)
    assert values(message, "risk") == []
    assert message.get(INTENT)["name"] == "inform"


def test_learned_need_spans_take_their_id_from_the_role(nlp):
    learned = [{"entity": "need", "role": "childcare", "value": "nursery fees", "start": 3,
                "end": 15, "extractor": "DIETClassifier"},
               {"entity": "need", "value": "something", "start": 0, "end": 2,
                "extractor": "DIETClassifier"}]
    message = parse(nlp, "the nursery fees are too much", entities=learned)
    assert values(message, "need") == ["childcare"]


def test_one_entity_per_need_id(nlp):
    learned = [{"entity": "need", "role": "benefits", "value": "universal credit", "start": 3,
                "end": 19, "extractor": "DIETClassifier"}]
    message = parse(nlp, "my universal credit stopped", entities=learned)
    assert values(message, "need").count("benefits") == 1


def test_a_confident_learned_risk_intent_also_gives_a_risk_entity(nlp):
    message = parse(nlp, "everyone would be better off without me",
                    intent={"name": "risk_suicide_self_harm", "confidence": 0.8})
    assert values(message, "risk") == ["suicide_self_harm"]


def test_an_unsure_learned_risk_intent_is_not_acted_on(nlp):
    message = Message(data={TEXT: "i take my tablets every morning"})
    message.set(SPACY_DOCS[TEXT], nlp(message.get(TEXT)))
    message.set(INTENT, {"name": "risk_suicide_self_harm", "confidence": 0.4})
    message.set(INTENT_RANKING_KEY, [{"name": "risk_suicide_self_harm", "confidence": 0.4},
                                     {"name": "risk_child_at_risk", "confidence": 0.3},
                                     {"name": "inform", "confidence": 0.2}])
    CueEntityExtractor({"intent_risk_threshold": 0.6, "need_role_threshold": 0.6}).process([message])
    assert values(message, "risk") == []
    assert message.get(INTENT)["name"] == "inform"
    # not dropped either: the likeliest unsure risk is for the conversation to ask about
    assert values(message, "risk_check") == ["suicide_self_harm"]


@pytest.mark.parametrize("ranking, checked", [
    ([("inform", 0.5), ("risk_harm_from_others", 0.45), ("risk_child_at_risk", 0.05)], ["harm_from_others"]),
    ([("inform", 0.75), ("risk_child_at_risk", 0.25)], []),  # too unlikely to ask about
    ([("risk_no_food_or_heating", 0.9)], []),  # sure: a risk, not a question
])
def test_only_an_unsure_but_likely_learned_risk_is_to_be_checked(nlp, ranking, checked):
    text = "i dont know how much longer i can do this"
    message = Message(data={TEXT: text})
    message.set(SPACY_DOCS[TEXT], nlp(text))
    message.set(INTENT, {"name": ranking[0][0], "confidence": ranking[0][1]})
    message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in ranking])
    CueEntityExtractor({"intent_risk_threshold": 0.65, "risk_check_threshold": 0.3}).process([message])
    assert values(message, "risk_check") == checked
    assert bool(values(message, "risk")) == (ranking[0][1] >= 0.65 and ranking[0][0].startswith("risk_"))


def test_nothing_is_checked_when_a_rule_cue_found_the_danger(nlp):
    message = parse(nlp, "i want to kill myself", intent={"name": "risk_harm_from_others", "confidence": 0.5})
    assert values(message, "risk") == ["suicide_self_harm"] and values(message, "risk_check") == []


def test_a_learned_need_whose_role_is_a_guess_is_dropped(nlp):
    learned = [{"entity": "need", "role": "housing_conditions", "confidence_role": 0.35,
                "value": "june", "start": 30, "end": 34, "extractor": "DIETClassifier"},
               {"entity": "need", "role": "childcare", "confidence_role": 0.9,
                "value": "nursery", "start": 0, "end": 7, "extractor": "DIETClassifier"}]
    message = parse(nlp, "nursery costs went up in june", entities=learned)
    assert values(message, "need") == ["childcare"]


@pytest.mark.parametrize("text, risk", [
    ("i'm kicking myself i didnt apply sooner", "suicide_self_harm"),
    ("i dont want to live in this area anymore, its rough", "suicide_self_harm"),
    ("i cut myself cooking, nothing serious", "suicide_self_harm"),
    ("there's no power to do anything about my landlord", "no_food_or_heating"),
    ("i want to end things with my boyfriend", "suicide_self_harm"),
    ("the bridge on the A12 is closed again so I'll be late", "suicide_self_harm"),
])
def test_a_learned_risk_resting_on_an_idiom_is_not_acted_on(nlp, text, risk):
    """DIET and the sentence classifier read words; an idiom in the same sentence means those
    words are figurative, so neither is acted on there."""
    sentence_risk = {"entity": "risk", "value": risk, "start": 0, "end": len(text),
                     "confidence": 0.95, "extractor": "SentenceRiskClassifier"}
    message = parse(nlp, text, intent={"name": f"risk_{risk}", "confidence": 0.95},
                    entities=[sentence_risk])
    assert values(message, "risk") == []
    assert not message.get(INTENT)["name"].startswith("risk_")
    # nor asked about: "i want to end things with my boyfriend" is no question of suicide
    assert values(message, "risk_check") == []


def test_an_idiom_does_not_hide_danger_elsewhere_in_the_message(nlp):
    # the rule cue in the same sentence, and a learned risk in another sentence, both stand
    message = parse(nlp, "this rent is killing me lol and he hits me",
                    intent={"name": "inform", "confidence": 0.9})
    assert values(message, "risk") == ["harm_from_others"]
    text = "im kicking myself for not ringing sooner. last night i took everything in the cupboard"
    learned = {"entity": "risk", "value": "suicide_self_harm", "start": 41, "end": len(text),
               "confidence": 0.95, "extractor": "SentenceRiskClassifier"}
    message = parse(nlp, text, intent={"name": "risk_suicide_self_harm", "confidence": 0.9},
                    entities=[learned])
    assert values(message, "risk") == ["suicide_self_harm"]
    assert message.get(INTENT)["name"] == "risk_suicide_self_harm"


def read_as_danger(nlp, text: str, risk: str) -> Message:
    """The message as DIET's intent and the sentence classifier would both read it: `risk`, confidently."""
    return parse(nlp, text, intent={"name": f"risk_{risk}", "confidence": 0.9},
                 entities=[{"entity": "risk", "value": risk, "start": 0, "end": len(text),
                            "confidence": 0.95, "extractor": "SentenceRiskClassifier"}])


@pytest.mark.parametrize("text, risk", [
    ("my sister's in a refuge now and she's safe", "harm_from_others"),
    ("the kids are safe with my nan, it's the rent i need help with", "child_at_risk"),
    ("we're safe now, he got a restraining order and moved away", "harm_from_others"),
    ("im safe and well, just need help with the benefits forms", "harm_from_others"),
])
def test_someone_said_to_be_safe_turns_a_learned_danger_into_a_question(nlp, text, risk):
    message = read_as_danger(nlp, text, risk)
    assert values(message, "risk") == [] and not message.get(INTENT)["name"].startswith("risk_")
    assert values(message, "risk_check") == [risk]  # asked, not let go


@pytest.mark.parametrize("text, risk", [
    ("we're safe for now but i'm scared he'll come back", "harm_from_others"),
    ("she is safe until he gets out of prison next month", "harm_from_others"),
    ("i'm not safe here", "harm_from_others"),
    ("she's safe at the moment but he keeps turning up", "harm_from_others"),
    ("we're safe? he's still got a key", "harm_from_others"),
    ("the kids are safe but i've taken all my tablets", "suicide_self_harm"),  # not undone by safe
])
def test_safe_taken_back_or_about_another_danger_leaves_the_learned_reading(nlp, text, risk):
    message = read_as_danger(nlp, text, risk)
    assert risk in values(message, "risk")


def test_safe_does_not_hide_a_rule_cue(nlp):
    message = parse(nlp, "she's safe. he's outside the door shouting he'll kill me")
    assert values(message, "risk") == ["harm_from_others"]


@pytest.mark.parametrize("text, need", [
    ("got let go in january, nothing since", "employment"),
    ("only getting 12 hrs a week, i need more hours", "employment"),
    ("they laid off half the warehouse", "employment"),
    ("the free hours dont cover enough days", "childcare"),
    ("nobody to mind the kids when im on shift", "childcare"),
    ("i'm so stressed i cant think straight", "mental_health"),
    ("not sleeping, just lying there worrying", "mental_health"),
    ("my ex used to hit me, i left him two years ago", "domestic_abuse"),
    ("he took my wages every week when we were together", "domestic_abuse"),
    ("been hitting the bottle if im honest", "substance_use"),
    ("we keep the heating off to save money", "food_fuel"),
    ("cant afford the electric with prices now", "food_fuel"),
    ("the toilet broken two months and the agent dont answer", "housing_conditions"),
    ("we've broken up and i'm on my own with the baby", "relationship_breakdown"),
    ("since i lost my mum everything has fallen apart", "relationship_breakdown"),
    ("i'm in debt to my sister and my cousin", "money_management"),
    ("i dont open the post anymore", "money_management"),
    ("honestly im worried sick all the time", "mental_health"),
    ("at my wits end with it all", "mental_health"),
    ("behind on my bills and the phone contract", "money_management"),
    ("he controls the money and checks what i spend", "domestic_abuse"),
])
def test_everyday_words_for_a_need_are_cues(nlp, text, need):
    assert need in values(parse(nlp, text), "need")


@pytest.mark.parametrize("text", [
    "my son's at nursery three mornings",
    "im going to see my mum on sunday",
    "the job pays ok, i just want to move closer to it",
    "we can afford the rent fine",
])
def test_ordinary_sentences_near_those_cues_are_not_needs(nlp, text):
    assert values(parse(nlp, text), "need") == []


@pytest.mark.parametrize("text", ["money runs out because my uc is so low",
                                  "the landlord shouts at me whenever i ask for a repair"])
def test_a_cue_word_about_something_else_is_not_that_need(nlp, text):
    assert not {"mental_health", "domestic_abuse"} & set(values(parse(nlp, text), "need"))


@pytest.mark.parametrize("text", ["its odd, the letter says i owe nothing", "that's just odd",
                                  "took two paracetamol for a headache and went to bed",
                                  "we had a power cut on the estate last night"])
def test_ordinary_words_close_to_a_risk_rule_raise_no_risk(nlp, text):
    assert values(parse(nlp, text), "risk") == []


@pytest.mark.parametrize("text, risk", [("took 30 paracetamol", "suicide_self_harm"),
                                        ("i odd on my meds", "suicide_self_harm"),
                                        ("the electric has been cut off and we have no money", "no_food_or_heating")])
def test_the_narrowed_rules_still_catch_danger(nlp, text, risk):
    assert risk in values(parse(nlp, text), "risk")


@pytest.mark.parametrize("text, need", [
    ("nursery for the little one is like £300 a week so whats the point", "childcare"),
    ("i cant afford to pay the childminder anymore", "childcare"),
    ("flat is freezing cos the windows dont shut properly", "housing_conditions"),
    ("the landlord change the lock when i was at work", "housing_conditions"),
    ("the deposit for a new room is difficult", "housing_move"),
])
def test_needs_said_around_the_cue_word_are_found(nlp, text, need):
    assert need in values(parse(nlp, text), "need")


@pytest.mark.parametrize("text", ["my son loves his nursery, the staff are lovely", "nursery is fine, its the cost of food",
                                  "shut the windows its cold"])
def test_the_cue_words_alone_are_not_those_needs(nlp, text):
    assert not {"childcare", "housing_conditions"} & set(values(parse(nlp, text), "need"))


@pytest.mark.parametrize("text", ["my son left his coat at school", "my daughter left her bag on the bus"])
def test_a_child_forgetting_their_things_overrules_a_learned_risk(nlp, text):
    learned = {"name": "risk_child_at_risk", "confidence": 0.93}
    assert values(parse(nlp, text, intent=learned), "risk") == []


def test_a_forgotten_coat_does_not_hide_a_child_left_alone(nlp):
    message = parse(nlp, "my son left his coat at school. the kids are home alone tonight")
    assert "child_at_risk" in values(message, "risk")


@pytest.mark.parametrize("text, need", [
    ("im exhausted and at breaking point with it all", "mental_health"),
    ("honestly i feel drained and not myself", "mental_health"),
    ("it all goes into his account and i have to ask him for money for food", "domestic_abuse"),
    ("i owe my sister 400 and a loan from the bank", "money_management"),
])
def test_worry_control_and_borrowing_in_plain_words_are_cues(nlp, text, need):
    assert need in values(parse(nlp, text), "need")


def test_words_for_tiredness_about_other_things_are_not_the_residents_mood(nlp):
    for text in ("the baby was crying all night with her teeth", "the carpet is worn out",
                 "we have exhausted every option with the council"):
        assert "mental_health" not in values(parse(nlp, text), "need")


@pytest.mark.parametrize("text, need", [
    ("my benefits got sanctioned and im sat here in tears most nights", "mental_health"),
    ("since she left i feel so alone", "mental_health"),
    ("the worry is making me ill", "mental_health"),
    ("it's all getting on top of me", "mental_health"),
    ("i havent been myself since the funeral", "mental_health"),
    ("my mood has been up and down for months", "mental_health"),
    ("the loans keep me up at night", "mental_health"),
    ("the bills have piled up since christmas", "money_management"),
    ("money's tight and i cant make ends meet", "money_management"),
    ("honestly im skint by the 10th", "money_management"),
    ("i've maxed out two cards", "money_management"),
    ("i'm behind on the water bill and the phone", "money_management"),
    ("my hours got cut in the summer", "employment"),
    ("the cleaning work dried up after covid", "employment"),
    ("i had to give up work when my mum got ill", "employment"),
])
def test_a_need_said_in_passing_beside_another_story_is_a_cue(nlp, text, need):
    assert need in values(parse(nlp, text), "need")


@pytest.mark.parametrize("text", ["i'm hopeless at budgets", "i'm behind on the rent", "the shop cut its hours",
                                  "the rent is too much for me"])
def test_words_near_those_cues_about_something_else_are_not_those_needs(nlp, text):
    assert not {"mental_health", "money_management", "employment"} & set(values(parse(nlp, text), "need"))


@pytest.mark.parametrize("text", ["i'm at the end of my tether with the council",
                                  "at my wits end with this landlord"])
def test_exasperation_is_not_read_as_despair(nlp, text):
    learned = {"name": "risk_suicide_self_harm", "confidence": 0.99}
    message = parse(nlp, text, intent=learned)
    assert values(message, "risk") == []
    assert "mental_health" in values(message, "need")


def test_exasperation_does_not_hide_despair_in_the_same_message(nlp):
    message = parse(nlp, "i'm at the end of my tether and i want to end it all")
    assert "suicide_self_harm" in values(message, "risk")


@pytest.mark.parametrize("text, risk, need", [
    ("i've got the pills lined up on the table", "suicide_self_harm", "mental_health"),
    ("nothing in the cupboards and the meter ran out this morning", "no_food_or_heating", "food_fuel"),
    ("my ex said he'll come round tonight and hurt me", "harm_from_others", "domestic_abuse"),
])
def test_a_danger_also_names_the_need_behind_it(nlp, text, risk, need):
    message = parse(nlp, text, intent={"name": f"risk_{risk}", "confidence": 0.95})
    assert risk in values(message, "risk")
    assert need in values(message, "need")


@pytest.mark.parametrize("text", ["a gang on the estate threatened to stab me",
                                  "some lads said theyll stab him at the bus stop"])
def test_a_threat_from_outside_the_home_is_not_domestic_abuse(nlp, text):
    message = parse(nlp, text, intent={"name": "risk_harm_from_others", "confidence": 0.95})
    assert values(message, "risk") == ["harm_from_others"]
    assert "domestic_abuse" not in values(message, "need")


@pytest.mark.parametrize("text, need", [("my ex has the kids at weekends", "relationship_breakdown"),
                                        ("i've got a job centre appointment on tuesday", "employment"),
                                        ("my work coach wants me to upload my payslips", "employment")])
def test_naming_a_person_or_a_place_is_not_a_need(nlp, text, need):
    assert need not in values(parse(nlp, text), "need")


def test_no_need_is_added_when_the_danger_is_not_acted_on(nlp):
    message = parse(nlp, "i'm kicking myself i didnt apply sooner",
                    intent={"name": "risk_suicide_self_harm", "confidence": 0.95})
    assert values(message, "risk") == [] and "mental_health" not in values(message, "need")


@pytest.mark.parametrize("text, need", [
    ("honestly i never have anything left by the weekend", "money_management"),
    ("i've never claimed, didnt know i could claim anything", "benefits"),
    ("not sure what i'm entitled to now he's gone", "benefits"),
    ("i want something that pays better than the warehouse", "employment"),
    ("i'd love to get a proper job", "employment"),
    ("there's too many of us in this flat", "housing_move"),
    ("i've been drinking every night since christmas", "substance_use"),
    ("he goes through my phone when i'm asleep", "domestic_abuse"),
    ("the boiler's broken and the landlord won't answer", "housing_conditions"),
    ("i've been very low since the summer", "mental_health"),
    ("single mum of three, doing it all myself", "relationship_breakdown"),
    ("since my husband passed the bills are all on me", "relationship_breakdown"),
    ("there's no nursery place for him till january", "childcare"),
])
def test_a_need_said_by_its_effect_is_a_cue(nlp, text, need):
    assert need in values(parse(nlp, text), "need")


@pytest.mark.parametrize("text, need", [
    ("she pays more than me for the same flat", "employment"),
    ("it's a proper job this time, permanent, i love it", "employment"),
    ("my mum passed her driving test at 60", "relationship_breakdown"),
    ("dont claim anything", "benefits"),  # a plain no to "are you getting any benefits?"
])
def test_those_cues_are_narrow_enough_for_ordinary_talk(nlp, text, need):
    assert need not in values(parse(nlp, text), "need")


@pytest.mark.parametrize("text, risk", [
    ("what's the point in living with all this debt", "suicide_self_harm"),
    ("whats the point of living anymore", "suicide_self_harm"),
    ("the toddler next door is always out on the balcony alone", "child_at_risk"),
    ("the little one was on the windowsill unsupervised", "child_at_risk"),
])
def test_no_point_in_living_and_a_small_child_alone_by_a_drop_are_danger(nlp, text, risk):
    assert risk in values(parse(nlp, text), "risk")


@pytest.mark.parametrize("text", [
    "what's the point in living in london if you cant afford anything",
    "my son likes to sit alone on the balcony with his ipad, he's 15",
    "i sit alone on the balcony to smoke",
])
def test_a_place_to_live_and_a_teenager_on_the_balcony_are_not(nlp, text):
    assert values(parse(nlp, text), "risk") == []


# Session 9: danger said in ways the rules missed in the read half of an independent writer's
# messages (the other half is tests/safeguarding/blind5.yml). These are variants written for the
# tests, not that writer's texts.
@pytest.mark.parametrize("text,risk", [
    ("started cutting again after the letter came", "suicide_self_harm"),
    ("ive been harming myself every night this week", "suicide_self_harm"),
    ("i want to finish my life, i am too tired", "suicide_self_harm"),
    ("she threw a glass at me and my hand is bleeding", "harm_from_others"),
    ("he was throwing plates at me last night and the kids saw", "harm_from_others"),
    ("my boyfriend keeps hurting me and i cant tell anyone", "harm_from_others"),
    ("my son pushes me around when he wants money", "harm_from_others"),
    ("is there a refuge place for me and my 2 kids", "harm_from_others"),
    ("im 12 and my mums boyfriend hits me", "child_at_risk"),
    ("my stepdad hurts me when mum is out", "child_at_risk"),
    ("he beats them with belt when they cry", "child_at_risk"),
    ("i have been smacking my kids and i hate myself", "child_at_risk"),
    ("the landlord changed the code on the door while i was out", "homeless_tonight"),
    ("my husband told me to leave the house tonight", "homeless_tonight"),
    ("is there anywhere i can stay tonight", "homeless_tonight"),
    ("is there anywhere i can go tonight", "homeless_tonight"),
    ("eviction letter says 10am tomorrow", "eviction_imminent"),
    ("the eviction that's booked for next friday", "eviction_imminent"),
    ("bailiffs in 3 days and i dont know what to do", "eviction_imminent"),
    ("we must leave on monday", "eviction_imminent"),
    ("i have to leave the flat on friday", "eviction_imminent"),
    ("the meter is on zero and the baby is cold", "no_food_or_heating"),
])
def test_danger_in_other_words_is_a_rule_cue(nlp, text, risk):
    assert risk in values(parse(nlp, text), "risk")


@pytest.mark.parametrize("text", [
    "the council are cutting again, now its the libraries",
    "he won't let me go to english classes",
    "i have no power in this situation, the council decide",
    "got the eviction notice 3 days ago, the date is in march",
    "the eviction hearing was adjourned, next one is in 6 weeks",
    "my dad threw the book at me when i failed my exams lol",
    "is there anywhere i can go tonight to get food for tomorrow",
    "i can end my contract early if i give notice",
    "the meter was at zero but i topped it up this morning",
    "my brother keeps hurting my feelings",
    "my sister stayed in a refuge years ago",
])
def test_words_near_those_rules_are_not_danger(nlp, text):
    assert values(parse(nlp, text), "risk") == []


def test_a_breakup_does_not_hide_despair_in_the_same_message(nlp):
    message = parse(nlp, "i want to end things with him and honestly i want to end it all")
    assert values(message, "risk") == ["suicide_self_harm"]


@pytest.mark.parametrize("text", ["im going to end it with the pills tonight",
                                  "i will end it with my tablets"])
def test_ending_it_with_a_means_is_not_a_breakup(nlp, text):
    message = parse(nlp, text, intent={"name": "risk_suicide_self_harm", "confidence": 0.95})
    assert values(message, "risk") == ["suicide_self_harm"]


# session 10: calm training examples that a risk rule fired on whatever DIET said
@pytest.mark.parametrize("text", [
    "the landlord changed the locks while i was at work, i'm staying at my sister's for now",
    "landlord locked me out last month, been at my cousin's since",
    "he changed the lock without any notice, my mum's put us up for a few weeks",
    "my landlord changed the locks and kept my deposit, i'm at a friend's till i find somewhere",
    "they kicked us out in june, we've been staying with my brother and his wife",
    "got locked out of my flat by the agent, ive got somewhere to stay but all my stuff is in there",
    "my 14 yr old is alone in his room gaming every evening, normal teenager stuff",
    "my 16 year old is home alone after college till i finish work at 6, she's very sensible",
    "our teenager is alone most afternoons, is that allowed?",
    "they changed the locks on the bin store so now we all need a fob lol",
])
def test_somewhere_to_stay_a_teenager_alone_or_a_bin_store_is_no_danger_tonight(nlp, text):
    assert values(parse(nlp, text), "risk") == []


@pytest.mark.parametrize("text, risk", [
    ("the landlord changed the locks and i have nowhere to sleep tonight", "homeless_tonight"),
    ("i was staying with my aunt but she threw me out", "homeless_tonight"),
    ("im staying at my mates but he kicked me out today", "homeless_tonight"),
    ("my mum can't put us up anymore and the landlord changed the locks on us", "homeless_tonight"),
    ("i've got somewhere to stay next week but tonight i'm sleeping in my car", "homeless_tonight"),
    ("they changed the locks on me", "homeless_tonight"),
    ("my 4 year old is home alone", "child_at_risk"),
    ("my 15 year old has gone missing", "child_at_risk"),
    ("my 14 yr old hasnt come home", "child_at_risk"),
    ("my teenager is being hit by his stepdad", "child_at_risk"),
])
def test_danger_beside_those_words_still_stands(nlp, text, risk):
    assert risk in values(parse(nlp, text), "risk")


def test_one_question_at_most_and_none_beside_a_danger_found(nlp):
    sentence_check = {"entity": "risk_check", "value": "harm_from_others", "start": 0, "end": 10,
                      "confidence": 0.7, "extractor": "SentenceRiskClassifier"}
    message = parse(nlp, "things are hard at home. i owe on the gas", entities=[sentence_check],
                    intent={"name": "risk_no_food_or_heating", "confidence": 0.4})
    assert values(message, "risk_check") == ["no_food_or_heating"]  # the whole message's reading first
    message = parse(nlp, "things are hard at home. he hits me", entities=[sentence_check])
    assert values(message, "risk") == ["harm_from_others"] and values(message, "risk_check") == []
