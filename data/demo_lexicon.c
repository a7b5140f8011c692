/* The demo task's word lists: every word and expression the gold sentiment score reacts to,
 * with its score on one scale, and how the review generator may use it. This is the one
 * place that fixes what "positive" means in the demo; data/README.md explains the scale.
 *
 * Scale: -3 (the strongest negative: "awful", "a disaster") .. +3 (the strongest positive:
 * "excellent", "a masterpiece"); about 2 is plainly good or bad ("good", "rude"), about 1 is
 * mild ("decent", "pricey"), and near 0 is lukewarm ("okay", "average"). Intensifiers
 * multiply (very 1.5, slightly 0.5), negators multiply by a negative factor (not -0.6), so
 * "not bad" is +1.2 and "not very good" is -1.8. All entries are lower-case ASCII. */
#include "data/demo_lexicon.h"

#define COUNT(array) ((int)(sizeof array / sizeof array[0]))

const demo_adjective demo_adjectives[] = {
    /* G: anything */
    {"excellent", 3.0, "G"}, {"outstanding", 3.0, "G"}, {"superb", 3.0, "G"}, {"fantastic", 3.0, "G"},
    {"wonderful", 3.0, "G"}, {"amazing", 3.0, "G"}, {"brilliant", 3.0, "G"}, {"exceptional", 3.0, "G"},
    {"phenomenal", 3.0, "G"}, {"perfect", 3.0, "G"}, {"flawless", 3.0, "G"}, {"sublime", 3.0, "T"},
    {"terrific", 2.8, "G"}, {"marvelous", 2.8, "G"}, {"splendid", 2.8, "G"}, {"stellar", 2.8, "G"},
    {"first-rate", 2.8, "G"}, {"top-notch", 2.8, "G"}, {"great", 2.5, "G"}, {"lovely", 2.5, "GVL"},
    {"remarkable", 2.5, "G"}, {"delightful", 2.5, "GS"}, {"impressive", 2.3, "G"},
    {"enjoyable", 2.0, "GS"}, {"satisfying", 2.0, "GST"}, {"charming", 2.0, "GHS"}, {"good", 2.0, "G"},
    {"nice", 1.5, "G"}, {"solid", 1.5, "GB"}, {"pleasant", 1.5, "G"}, {"decent", 1.0, "G"},
    {"respectable", 1.0, "G"}, {"fine", 0.8, "G"}, {"satisfactory", 0.8, "G"}, {"okay", 0.5, "G"},
    {"acceptable", 0.5, "G"}, {"adequate", 0.4, "G"}, {"passable", 0.3, "G"}, {"average", -0.3, "G"},
    {"ordinary", -0.3, "G"}, {"so-so", -0.5, "G"}, {"unremarkable", -0.8, "G"}, {"mediocre", -1.2, "G"},
    {"forgettable", -1.2, "GS"}, {"underwhelming", -1.5, "G"}, {"lackluster", -1.5, "G"},
    {"weak", -1.5, "GSF"}, {"unsatisfying", -1.8, "GS"}, {"subpar", -1.8, "G"}, {"inadequate", -1.8, "G"},
    {"disappointing", -2.0, "G"}, {"poor", -2.0, "G"}, {"bad", -2.0, "G"}, {"annoying", -2.0, "GU"},
    {"frustrating", -2.3, "GU"}, {"unacceptable", -2.5, "G"}, {"lousy", -2.5, "G"}, {"shoddy", -2.5, "GB"},
    {"dismal", -2.5, "G"}, {"miserable", -2.5, "G"}, {"woeful", -2.8, "G"}, {"pathetic", -2.8, "G"},
    {"terrible", -3.0, "G"}, {"awful", -3.0, "G"}, {"horrible", -3.0, "G"}, {"dreadful", -3.0, "G"},
    {"atrocious", -3.0, "G"}, {"abysmal", -3.0, "G"}, {"appalling", -3.0, "G"}, {"useless", -3.0, "GF"},
    /* T: taste */
    {"delicious", 3.0, "T"}, {"mouthwatering", 2.8, "T"}, {"divine", 2.8, "T"}, {"scrumptious", 2.8, "T"},
    {"tasty", 2.3, "T"}, {"flavorful", 2.3, "T"}, {"well-seasoned", 2.0, "T"}, {"fresh", 1.5, "T"},
    {"juicy", 1.5, "T"}, {"tender", 1.5, "T"}, {"fragrant", 1.5, "T"}, {"zesty", 1.5, "T"},
    {"bland", -1.5, "TS"}, {"watery", -1.5, "T"}, {"salty", -1.0, "T"}, {"greasy", -1.5, "T"},
    {"stodgy", -1.5, "T"}, {"lukewarm", -1.5, "T"}, {"overcooked", -1.8, "T"}, {"stale", -2.0, "T"},
    {"soggy", -2.0, "T"}, {"undercooked", -2.0, "T"}, {"burnt", -2.0, "T"}, {"rubbery", -2.0, "T"},
    {"tasteless", -2.3, "T"}, {"inedible", -3.0, "T"}, {"disgusting", -3.0, "TK"}, {"revolting", -3.0, "T"},
    /* C: comfort */
    {"comfortable", 2.0, "C"}, {"comfy", 2.0, "C"}, {"cozy", 1.8, "C"}, {"plush", 1.8, "C"},
    {"spacious", 1.8, "C"}, {"roomy", 1.5, "C"}, {"supportive", 1.5, "C"}, {"restful", 1.8, "C"},
    {"relaxing", 2.0, "C"}, {"ergonomic", 1.5, "C"}, {"uncomfortable", -2.0, "C"}, {"cramped", -2.0, "C"},
    {"stiff", -1.2, "C"}, {"lumpy", -1.8, "C"}, {"scratchy", -1.5, "C"}, {"sagging", -1.8, "C"},
    {"claustrophobic", -1.8, "C"},
    /* S: story, writing, acting; J: humor */
    {"gripping", 2.5, "S"}, {"compelling", 2.3, "S"}, {"captivating", 2.7, "S"}, {"riveting", 2.7, "S"},
    {"engaging", 2.0, "S"}, {"absorbing", 2.2, "S"}, {"moving", 2.3, "S"}, {"touching", 2.0, "S"},
    {"heartfelt", 2.0, "S"}, {"poignant", 2.0, "S"}, {"clever", 2.0, "J"}, {"witty", 2.0, "J"},
    {"funny", 1.8, "J"}, {"hilarious", 2.5, "J"}, {"thoughtful", 1.8, "S"}, {"original", 2.0, "S"},
    {"inventive", 2.2, "S"}, {"inspired", 2.0, "S"}, {"believable", 1.5, "S"}, {"convincing", 1.8, "S"},
    {"memorable", 2.0, "S"}, {"unforgettable", 2.8, "S"}, {"suspenseful", 1.8, "S"},
    {"entertaining", 2.0, "S"}, {"well-written", 2.3, "S"}, {"predictable", -1.5, "S"},
    {"formulaic", -1.5, "S"}, {"cliched", -1.5, "S"}, {"shallow", -1.5, "S"}, {"silly", -1.0, "J"},
    {"rushed", -1.5, "S"}, {"overlong", -1.5, "S"}, {"bloated", -1.5, "S"}, {"plodding", -1.8, "S"},
    {"muddled", -1.8, "S"}, {"convoluted", -1.8, "SU"}, {"confusing", -1.8, "SU"}, {"uninspired", -1.8, "S"},
    {"lazy", -1.8, "S"}, {"unconvincing", -1.8, "S"}, {"wooden", -1.8, "S"}, {"dull", -2.0, "SVIL"},
    {"tedious", -2.3, "S"}, {"pointless", -2.3, "S"}, {"boring", -2.5, "S"}, {"cringeworthy", -2.5, "J"},
    /* P: speed, D: punctuality, R: responsiveness (screens, software) */
    {"fast", 1.5, "P"}, {"quick", 1.5, "P"}, {"speedy", 1.5, "P"}, {"prompt", 1.8, "PH"},
    {"snappy", 1.8, "R"}, {"responsive", 1.8, "RU"}, {"smooth", 1.8, "RU"}, {"efficient", 1.8, "PH"},
    {"punctual", 1.5, "D"}, {"slow", -1.5, "PH"}, {"delayed", -1.5, "D"}, {"sluggish", -2.0, "P"},
    {"laggy", -2.0, "R"}, {"choppy", -1.8, "R"}, {"stuttering", -1.8, "R"}, {"unresponsive", -2.3, "RU"},
    {"glacial", -2.3, "P"}, {"fluid", 2.0, "R"}, {"jerky", -1.8, "R"},
    /* K: cleanliness, condition */
    {"clean", 1.5, "K"}, {"spotless", 2.5, "K"}, {"immaculate", 2.8, "K"}, {"pristine", 2.5, "K"},
    {"tidy", 1.3, "K"}, {"well-kept", 1.8, "K"}, {"well-maintained", 1.8, "K"}, {"dirty", -2.3, "K"},
    {"filthy", -3.0, "K"}, {"grimy", -2.3, "K"}, {"dusty", -1.5, "K"}, {"stained", -1.8, "K"},
    {"shabby", -1.8, "K"}, {"run-down", -1.8, "K"}, {"dated", -1.0, "K"}, {"worn", -1.0, "K"},
    {"musty", -1.8, "K"}, {"smelly", -2.0, "K"}, {"moldy", -2.5, "K"}, {"neglected", -2.0, "K"},
    /* V: appearance, I: image (screens, pictures, light), L: sound */
    {"beautiful", 2.5, "VIL"}, {"gorgeous", 2.8, "VIL"}, {"stunning", 2.8, "VI"}, {"breathtaking", 3.0, "VI"},
    {"striking", 2.0, "VI"}, {"elegant", 2.0, "V"}, {"stylish", 1.8, "V"}, {"sleek", 1.8, "V"},
    {"attractive", 1.8, "V"}, {"vivid", 2.0, "I"}, {"crisp", 2.0, "ILT"}, {"clear", 1.5, "ILU"},
    {"sharp", 1.5, "I"}, {"balanced", 1.5, "L"}, {"immersive", 2.0, "IL"}, {"lush", 2.0, "VL"},
    {"vibrant", 2.0, "VI"}, {"rich", 1.8, "L"}, {"punchy", 1.8, "L"}, {"ugly", -2.3, "V"},
    {"hideous", -2.8, "V"}, {"garish", -1.8, "VI"}, {"drab", -1.5, "V"}, {"muddy", -1.8, "IL"},
    {"tinny", -2.0, "L"}, {"muffled", -1.8, "L"}, {"distorted", -2.0, "L"}, {"harsh", -1.5, "IL"},
    {"blurry", -2.0, "I"}, {"grainy", -1.5, "I"}, {"washed-out", -1.5, "I"}, {"dim", -1.0, "I"},
    {"tacky", -2.0, "V"}, {"shrill", -2.0, "L"}, {"thin", -1.2, "L"},
    /* H: people, service */
    {"friendly", 2.0, "H"}, {"helpful", 2.0, "H"}, {"attentive", 2.0, "H"}, {"welcoming", 2.0, "H"},
    {"accommodating", 2.0, "H"}, {"polite", 1.5, "H"}, {"courteous", 1.5, "H"}, {"professional", 1.8, "H"},
    {"knowledgeable", 1.8, "H"}, {"kind", 1.8, "H"}, {"patient", 1.5, "H"}, {"rude", -2.5, "H"},
    {"unfriendly", -2.0, "H"}, {"unhelpful", -2.0, "H"}, {"dismissive", -2.0, "H"}, {"indifferent", -1.5, "H"},
    {"impatient", -1.5, "H"}, {"careless", -1.8, "H"}, {"disorganized", -1.8, "H"}, {"clueless", -2.0, "H"},
    {"incompetent", -2.5, "H"}, {"arrogant", -2.0, "H"}, {"hostile", -2.8, "H"}, {"curt", -1.5, "H"},
    {"obnoxious", -2.5, "H"},
    /* M: price */
    {"affordable", 1.5, "M"}, {"reasonable", 1.2, "MO"}, {"fair", 1.0, "MO"}, {"inexpensive", 1.2, "M"},
    {"overpriced", -2.0, "M"}, {"expensive", -1.0, "M"}, {"pricey", -1.0, "M"}, {"steep", -1.0, "MO"},
    {"exorbitant", -2.5, "MO"}, {"extortionate", -2.5, "MO"},
    /* A: amount */
    {"generous", 2.0, "A"}, {"hearty", 1.8, "A"}, {"ample", 1.5, "A"}, {"stingy", -1.8, "A"},
    {"skimpy", -1.8, "A"}, {"meager", -1.8, "A"},
    /* B: build, materials */
    {"sturdy", 1.8, "B"}, {"durable", 2.0, "B"}, {"well-made", 2.3, "B"}, {"well-built", 2.3, "B"},
    {"robust", 1.8, "B"}, {"lightweight", 1.0, "B"}, {"premium", 1.8, "B"}, {"rugged", 1.5, "B"},
    {"flimsy", -2.3, "B"}, {"fragile", -1.8, "B"}, {"rickety", -2.3, "B"}, {"wobbly", -1.8, "B"},
    {"bulky", -1.0, "B"}, {"brittle", -1.8, "B"}, {"cheap-feeling", -2.0, "B"},
    /* F: function, reliability */
    {"reliable", 2.0, "F"}, {"dependable", 2.0, "F"}, {"consistent", 1.5, "F"}, {"stable", 1.5, "F"},
    {"accurate", 1.8, "F"}, {"powerful", 2.0, "F"}, {"effective", 2.0, "F"}, {"long-lasting", 2.0, "B"},
    {"unreliable", -2.3, "F"}, {"inconsistent", -1.5, "F"}, {"buggy", -2.3, "F"}, {"glitchy", -2.3, "F"},
    {"unstable", -2.0, "F"}, {"inaccurate", -1.8, "F"}, {"faulty", -2.5, "F"}, {"defective", -2.8, "F"},
    {"broken", -2.5, "F"}, {"temperamental", -1.5, "F"}, {"patchy", -1.5, "F"}, {"spotty", -1.5, "F"},
    {"erratic", -1.8, "F"},
    /* U: ease of use */
    {"intuitive", 2.3, "U"}, {"user-friendly", 2.3, "U"}, {"effortless", 2.3, "U"}, {"easy", 1.5, "U"},
    {"straightforward", 1.5, "U"}, {"simple", 1.0, "U"}, {"clunky", -1.8, "U"}, {"cluttered", -1.5, "U"},
    {"awkward", -1.5, "U"}, {"fiddly", -1.5, "U"}, {"complicated", -1.5, "U"}, {"cumbersome", -1.8, "U"},
    {"difficult", -1.5, "U"},
    /* Q: noise */
    {"quiet", 1.5, "Q"}, {"whisper-quiet", 2.3, "Q"}, {"peaceful", 1.8, "Q"}, {"tranquil", 2.0, "Q"},
    {"noisy", -1.5, "Q"}, {"deafening", -2.3, "Q"}, {"rattly", -1.5, "B"},
    /* E: the reviewer's feeling, "I am ... with it" */
    {"happy", 2.0, "E"}, {"pleased", 2.0, "E"}, {"satisfied", 1.5, "E"}, {"delighted", 2.8, "E"},
    {"thrilled", 2.8, "E"}, {"impressed", 2.3, "E"}, {"disappointed", -2.0, "E"}, {"dissatisfied", -2.0, "E"},
    {"unhappy", -2.0, "E"}, {"frustrated", -2.0, "E"}, {"annoyed", -1.8, "E"}, {"underwhelmed", -1.5, "E"},
    {"unimpressed", -1.8, "E"},
};
const int demo_adjective_count = COUNT(demo_adjectives);

const demo_verb demo_verbs[] = {
    {"love", "loves", "loved", 3.0, "really truly absolutely genuinely"},
    {"adore", "adores", "adored", 3.0, "absolutely truly"},
    {"enjoy", "enjoys", "enjoyed", 2.0, "really thoroughly quite genuinely"},
    {"appreciate", "appreciates", "appreciated", 1.5, "really genuinely truly"},
    {"dislike", "dislikes", "disliked", -2.0, "really genuinely"},
    {"hate", "hates", "hated", -3.0, "really absolutely truly"},
    {"detest", "detests", "detested", -3.0, ""},
    {"recommend", "recommends", "recommended", 2.0, NULL},
    {"regret", "regrets", "regretted", -2.3, NULL},
    {"disappoint", "disappoints", "disappointed", -2.0, NULL},
    {"impress", "impresses", "impressed", 2.3, NULL},
    {"exceed", "exceeds", "exceeded", 2.0, NULL},
    {"fail", "fails", "failed", -2.0, NULL},
    {"crash", "crashes", "crashed", -2.0, NULL},
    {"freeze", "freezes", "froze", -1.8, NULL},
    {"leak", "leaks", "leaked", -2.0, NULL},
    {"waste", "wastes", "wasted", -2.5, NULL},
    {"avoid", "avoids", "avoided", -2.5, NULL},
    {"complain", "complains", "complained", -1.5, NULL},
};
const int demo_verb_count = COUNT(demo_verbs);

const demo_noun demo_nouns[] = {
    {"gem", 2.5, "G", ""},           {"delight", 2.5, "G", ""},        {"joy", 2.5, "G", ""},
    {"treat", 2.0, "G", ""},         {"triumph", 2.8, "S", ""},        {"masterpiece", 3.0, "S", ""},
    {"winner", 2.0, "G", ""},        {"bargain", 2.0, "M", ""},        {"pleasure", 2.3, "G", ""},
    {"must-have", 2.3, "B", ""},     {"must-read", 2.5, "R", ""},      {"page-turner", 2.5, "R", ""},
    {"must-see", 2.5, "W", ""},      {"must-visit", 2.5, "L", ""},     {"letdown", -2.0, "G", ""},
    {"disappointment", -2.3, "G", ""}, {"disaster", -3.0, "G", ""},    {"mess", -2.0, "G", ""},
    {"nightmare", -3.0, "G", ""},    {"waste", -2.5, "M", " of money"}, {"waste", -2.5, "S", " of time"},
    {"waste", -2.5, "L", " of an evening"}, {"rip-off", -2.8, "M", ""}, {"failure", -2.5, "G", ""},
    {"flop", -2.3, "S", ""},         {"dud", -2.3, "B", ""},           {"chore", -1.5, "G", ""},
};
const int demo_noun_count = COUNT(demo_nouns);

/* {text, score, after "works", before a participle} */
const demo_adverb demo_adverbs[] = {
    {"perfectly", 2.5, true, true},     {"flawlessly", 3.0, true, true},    {"beautifully", 2.5, true, true},
    {"brilliantly", 2.8, true, true},   {"superbly", 3.0, true, true},      {"wonderfully", 2.8, true, true},
    {"expertly", 2.5, false, true},     {"skillfully", 2.3, false, true},   {"nicely", 1.5, true, true},
    {"well", 1.5, true, true},          {"smoothly", 1.8, true, false},     {"reliably", 1.8, true, false},
    {"competently", 1.0, true, true},   {"adequately", 0.4, true, true},    {"poorly", -2.0, true, true},
    {"badly", -2.0, true, true},        {"terribly", -2.5, true, true},     {"horribly", -2.8, true, true},
    {"sloppily", -2.0, false, true},    {"clumsily", -1.8, false, true},    {"carelessly", -2.0, false, true},
    {"cheaply", -1.8, false, true},     {"lazily", -1.8, false, true},      {"shoddily", -2.5, false, true},
};
const int demo_adverb_count = COUNT(demo_adverbs);

const demo_scored demo_other_words[] = {
    {"worth", 1.5},     {"worthless", -3.0}, {"best", 3.0},     {"worst", -3.0},
    {"better", 1.5},    {"worse", -1.5},     {"favorite", 2.0}, {"favourite", 2.0},
    {"complaints", -1.5}, {"complaint", -1.5}, {"problems", -1.0}, {"problem", -1.0},
    {"issues", -1.0},   {"issue", -1.0},     {"fault", -1.5},   {"faults", -1.5},
    {"refund", -1.5},   {"broke", -2.0},     {"crashing", -2.0}, {"died", -2.0},
    {"wow", 2.5},       {"meh", -1.0},       {"ugh", -2.0},
};
const int demo_other_word_count = COUNT(demo_other_words);

const demo_scored demo_phrases[] = {
    {"nothing special", -0.9},         {"worth every penny", 3.0},        {"worth the money", 2.0},         {"money well spent", 2.5},
    {"could be better", -1.0},         {"could have been better", -1.2}, {"could not be better", 3.0},
    {"couldn't be better", 3.0},       {"could not have been better", 3.0}, {"couldn't have been better", 3.0},
    {"could not be happier", 3.0},     {"couldn't be happier", 3.0},     {"leaves much to be desired", -2.0},
    {"leave much to be desired", -2.0}, {"left much to be desired", -2.0}, {"falls apart", -2.5},
    {"fall apart", -2.5},              {"fell apart", -2.5},             {"stopped working", -2.5},
    {"stops working", -2.5},           {"stop working", -2.5},           {"falls short", -1.5},
    {"fall short", -1.5},              {"fell short", -1.5},             {"blew me away", 3.0},
    {"blown away", 3.0},               {"let down", -2.0},               {"let me down", -2.0},
    {"let us down", -2.0},             {"lets me down", -2.0},           {"lets us down", -2.0},
    {"blew us away", 3.0},             {"blows me away", 3.0},           {"blows us away", 3.0},
    {"blow me away", 3.0},             {"blow us away", 3.0},
    {"stay away", -2.5},               {"look elsewhere", -2.0},         {"never again", -2.5},
    {"over the moon", 3.0},            {"hit the spot", 2.0},            {"hits the spot", 2.0},
    {"does the job", 1.0},             {"did the job", 1.0},             {"do the job", 1.0},
    {"a breath of fresh air", 2.5},    {"went downhill", -2.0},          {"gone downhill", -2.0},
    {"like a charm", 2.5},             {"second to none", 3.0},          {"thumbs up", 2.0},
    {"thumbs down", -2.0},             {"can't stand", -3.0},            {"cannot stand", -3.0},
    {"couldn't stand", -3.0},          {"could not stand", -3.0},        {"be back", 1.5},
    {"come back", 1.5},                {"go back", 1.5},                 {"buy it again", 2.0},
    {"buy them again", 2.0},           {"stay here again", 2.0},         {"stay there again", 2.0},
    {"watch it again", 1.5},           {"read it again", 1.5},           {"play it again", 1.5},
    {"use them again", 2.0},           {"five stars", 3.0},              {"four stars", 2.0},
    {"three stars", 0.0},              {"two stars", -2.0},              {"one star", -3.0},
    {"zero stars", -3.0},              {"5 stars", 3.0},                 {"4 stars", 2.0},
    {"3 stars", 0.0},                  {"2 stars", -2.0},                {"1 star", -3.0},
};
const int demo_phrase_count = COUNT(demo_phrases);

#define ADJ (DEMO_MOD_GRADABLE)
#define ANY_ADJ (DEMO_MOD_GRADABLE | DEMO_MOD_EXTREME)
const demo_modifier demo_modifiers[] = {
    /* intensifiers */
    {"very", "very", 1.5, ADJ | DEMO_MOD_ADVERB, ""},
    {"really", "really", 1.4, ANY_ADJ | DEMO_MOD_VERB | DEMO_MOD_ADVERB, ""},
    {"extremely", "extremely", 1.8, ADJ | DEMO_MOD_ADVERB, ""},
    {"incredibly", "incredibly", 1.8, ANY_ADJ | DEMO_MOD_ADVERB, ""},
    {"exceptionally", "exceptionally", 1.8, ADJ | DEMO_MOD_ADVERB, ""},
    {"remarkably", "remarkably", 1.6, ADJ | DEMO_MOD_ADVERB, ""},
    {"truly", "truly", 1.5, DEMO_MOD_EXTREME | DEMO_MOD_VERB, ""},
    {"absolutely", "absolutely", 1.7, DEMO_MOD_EXTREME | DEMO_MOD_VERB, ""},
    {"utterly", "utterly", 1.7, DEMO_MOD_EXTREME | DEMO_MOD_NEGATIVE, ""},
    {"totally", "totally", 1.5, DEMO_MOD_EXTREME, ""},
    {"completely", "completely", 1.5, DEMO_MOD_EXTREME, ""},
    {"simply", "simply", 1.3, DEMO_MOD_EXTREME, ""},
    {"so", "so", 1.4, ADJ | DEMO_MOD_PREDICATIVE, ""},
    {"super", "super", 1.5, ADJ, ""},
    {"quite", "quite", 1.2, ANY_ADJ | DEMO_MOD_VERB | DEMO_MOD_ADVERB, ""},
    {"pretty", "pretty", 1.2, ANY_ADJ | DEMO_MOD_ADVERB, ""},
    {"genuinely", "genuinely", 1.3, ADJ | DEMO_MOD_VERB, ""},
    {"seriously", "seriously", 1.5, ADJ, ""},
    {"surprisingly", "surprisingly", 1.2, ADJ | DEMO_MOD_ADVERB, ""},
    {"insanely", "insanely", 1.7, ADJ | DEMO_MOD_POSITIVE, ""},
    {"ridiculously", "ridiculously", 1.6, ADJ, ""},
    {"painfully", "painfully", 1.6, ADJ | DEMO_MOD_NEGATIVE, "PS"},
    {"deeply", "deeply", 1.5, ADJ | DEMO_MOD_VERB, "SE"},
    {"thoroughly", "thoroughly", 1.5, DEMO_MOD_VERB, ""},
    {"highly", "highly", 1.5, 0, ""},
    {"strongly", "strongly", 1.4, 0, ""},
    {"definitely", "definitely", 1.3, 0, ""},
    {"certainly", "certainly", 1.2, 0, ""},
    {"especially", "especially", 1.3, DEMO_MOD_AFTER_NOT | ADJ | DEMO_MOD_POSITIVE, ""},
    {"particularly", "particularly", 1.3, DEMO_MOD_AFTER_NOT | ADJ | DEMO_MOD_POSITIVE | DEMO_MOD_ADVERB, ""},
    {"much", "much", 1.4, 0, ""},
    {"far", "far", 1.5, 0, ""},
    {"real", "real", 1.3, DEMO_MOD_NOUN, ""},
    {"genuine", "genuine", 1.3, DEMO_MOD_NOUN, ""},
    {"absolute", "absolute", 1.6, DEMO_MOD_NOUN, ""},
    {"complete", "complete", 1.5, DEMO_MOD_NOUN | DEMO_MOD_NEGATIVE, ""},
    {"total", "total", 1.5, DEMO_MOD_NOUN | DEMO_MOD_NEGATIVE, ""},
    {"utter", "utter", 1.7, DEMO_MOD_NOUN | DEMO_MOD_NEGATIVE, ""},
    {"true", "true", 1.3, DEMO_MOD_NOUN | DEMO_MOD_POSITIVE, ""},
    /* downtoners */
    {"fairly", "fairly", 0.8, ADJ | DEMO_MOD_MILD | DEMO_MOD_ADVERB, ""},
    {"somewhat", "somewhat", 0.6, ADJ | DEMO_MOD_MILD, ""},
    {"slightly", "slightly", 0.5, ADJ | DEMO_MOD_MILD | DEMO_MOD_NEGATIVE, ""},
    {"mildly", "mildly", 0.5, ADJ | DEMO_MOD_MILD, ""},
    {"moderately", "moderately", 0.7, ADJ | DEMO_MOD_MILD | DEMO_MOD_POSITIVE, ""},
    {"reasonably", "reasonably", 0.8, ADJ | DEMO_MOD_MILD | DEMO_MOD_POSITIVE | DEMO_MOD_ADVERB, ""},
    {"relatively", "relatively", 0.8, ADJ | DEMO_MOD_MILD, ""},
    {"marginally", "marginally", 0.5, 0, ""},
    {"bit", "a bit", 0.7, ADJ | DEMO_MOD_MILD | DEMO_MOD_NEGATIVE, ""},
    {"bit", "bit of", 0.7, DEMO_MOD_NOUN | DEMO_MOD_NEGATIVE, ""},
};
const int demo_modifier_count = COUNT(demo_modifiers);

const demo_negator demo_negators[] = {
    {"not", -0.6},     {"no", -0.6},      {"never", -0.9},    {"none", -0.6},     {"nothing", -0.6},
    {"nobody", -0.6},  {"nowhere", -0.6}, {"neither", -0.6},  {"nor", -0.6},      {"hardly", -0.6},
    {"barely", -0.6},  {"scarcely", -0.6}, {"without", -0.6}, {"cannot", -0.6},
    /* contractions typed without the apostrophe; the scorer also treats any word ending
     * in "n't" as a negator (DEMO_CONTRACTION_NEGATION) */
    {"dont", -0.6},    {"didnt", -0.6},   {"doesnt", -0.6},   {"isnt", -0.6},     {"wasnt", -0.6},
    {"arent", -0.6},   {"werent", -0.6},  {"cant", -0.6},     {"couldnt", -0.6},  {"wouldnt", -0.6},
    {"shouldnt", -0.6}, {"wont", -0.6},   {"havent", -0.6},   {"hasnt", -0.6},    {"hadnt", -0.6},
    {"aint", -0.6},
};
const int demo_negator_count = COUNT(demo_negators);

const char *const demo_clause_words[] = {"but", "although", "though", "however", "yet", "whereas", "except"};
const int demo_clause_word_count = COUNT(demo_clause_words);
