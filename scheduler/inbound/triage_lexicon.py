"""Word tables for reply triage, English and French: signs, negation cues, clause breaks, rewrites.

Patterns are regular expressions over the normalised text: lowercase ASCII, accents stripped, one
space between words, letter runs squeezed to one letter (write "swollen", it is read as "swolen";
a double letter split by a group boundary is written once: "pop(ed|s)"); `|` ends a sentence, `?`
a question, `,` a clause and `;` an aside in brackets. A pattern matches whole words. `~` stands
for up to three words that are not a negation or a clause break ("lips ~ swollen" matches "lips
are really swollen", not "lips are not swollen"); `~~` for up to eight words.
Alternatives are written one per line; both languages are always tried, since replies mix them.
"""

from __future__ import annotations

from typing import NamedTuple

URGENT, CONCERN, ROUTINE = "urgent", "concern", "routine"


class Sign(NamedTuple):
    pattern: str
    level: str
    reason: str  # a short English label shown to staff; keep it stable


def one_of(alternatives: str) -> str:
    """Alternatives written one per line, as one regular expression."""
    return "|".join(line.strip() for line in alternatives.splitlines() if line.strip())


def sign(level: str, reason: str, alternatives: str) -> Sign:
    return Sign(one_of(alternatives), level, reason)


SWOLLEN_EN_WORDS = (
    r"swol\w*|swel\w*|puf\w*|bloat\w*|inflamed|enlarged|huge|puffed up|doubled in size|"
    r"twice (the|their|its) size"
)
SWOLLEN_EN = f"({SWOLLEN_EN_WORDS})"
SWOLLEN_FR_WORDS = r"enfl\w*|gonfl\w*|bouf\w*|oedem\w*|edem\w*|double\w* de (volume|taille)"
SWOLLEN_FR = f"({SWOLLEN_FR_WORDS})"
PIMPLES_EN = r"(pimples?|zits?|breakouts?|acne|whiteheads?|bumps?|spots?)"
PIMPLES_FR = r"(boutons?|bouttons?|acne|points? blancs?|bosses?)"
RED_EN = r"(red|redness|reddish|rash|flush|(red|pink) (area|patch\w*|mark\w*|blotch\w*))"
BIGGER_EN = r"(bigger|larger|wider|twice (as big|as large|the size))"
SPREAD_EN = (
    r"(spread\w*|growing|grows|grew|grown|expand\w*|getting (bigger|larger|wider|worse)|doubled|"
    r"tripled|"
    rf"(got|gotten|gets|is|are|became|grew) (way |much |a lot |even |so much )?{BIGGER_EN})"
)
EYES_EN = r"(eyes?|eyelids?|eye lids?|under ?eyes?|around (my|the) eyes?)"
EYES_FR = r"(yeux|oeil|paupieres?|contour des yeux)"
# The word alone is a fever; followed by a body temperature, the number decides (see TEMP_HIGH).
TEMPERATURE = (
    r"(temp|temperature)(?! (is |was |est |etait )?(normal\w*|fine|ok|correct\w*|bonne))"
    r"(?! ([a-z]+ |[|,] ){0,3}(3[4-9]|4[0-3]|9[3-9]|10\d|11[0-2])(\.\d+)?(?![0-9]))"
)
INTENSE = r"(very|so|really|super|extremely|incredibly|unbearably|insanely|crazy|too|way too)"
INTENSE_FR = (
    r"(tres|vraiment|super|extremement|trop|tellement|terriblement|mega|full|maudit|mautadit|"
    r"crissement|ben|bin)"
)
MILD = r"(mild|slight\w*|a (little|bit)|little|bit|minor|some|light\w*|kind of|kinda) (bit )?(of )?"
SEVERE = (
    r"(severe|intense|extreme|terrible|horrible|unbearable|excruciating|awful|worst|agoniz\w*|"
    r"crazy|insane|sharp|lots of|a lot of|so much|really bad|bad|throbbing)"
)
PIMPLES_MORE = r"(more|new|lots of|tons of|so many|many|a lot of|loads of|full of|covered in)"
PIMPLES_FEW = r"(mild|slight\w*|a (little|bit)|little|bit|minor|small|tiny|few|couple of|some)"
NOT_GOING_DOWN_FR = r"(desenfl|diminu|descend|part|degonfl|baiss)\w* (toujours )?(pas|plus)"
PIMPLES_FR_MORE = r"(beaucoup|plein|pleins|tout plein|tplein|trop|tellement|full|en masse)"

# Numbers. A number followed by one of these counts something else ("pain 10 days later").
NOT_A_UNIT = (
    r"(?! (days?|d|hours?|hrs?|h|am|pm|min\w*|sec\w*|weeks?|wks?|months?|years?|yrs?|times|x|"
    r"jours?|jrs?|heures?|semaines?|mois|ans|annees?|fois|endroits?|places?|spots?|mg|ml|"
    r"pills?|comprim\w*|advil|tylenol|ibuprof\w*|percent|pour ?cent|o clock|dollars?|bucks|\d+)\b)"
)
# Fever from 38.0 C or 100.4 F, within what a thermometer on a person reads.
C_HIGH = r"(?<!\.)(3[89]|4[0-2])(\.\d+)?"
F_HIGH = r"(?<!\.)(100\.[4-9]\d*|10[1-6](\.\d+)?)"
TEMP_HIGH = f"({C_HIGH}|{F_HIGH})"
# Without a temperature word before it, a whole number is a temperature only at the end of what
# is said about it ("I'm at 101 tonight"), not when it counts something ("j'ai 40 boutons").
_SAID = (
    r"(?=$| [|,]| \?| (since|this|tonight|today|last|yesterday|and|now|again|depuis|ce|cette|hier|"
    r"aujourd|et|maintenant|encore)\b)"
)
TEMP_SAID = rf"(?<!\.)((3[89]|4[0-2])(\.\d+|{_SAID})|100\.[4-9]\d*|10[1-6](\.\d+|{_SAID}))"
# A pain score: "pain is a 10", "douleur a 8 sur 10"; 7 and up is severe, 4 and down is mild.
PAIN_EN = r"(pain\w*|hurt\w*|sore\w*|ach(e|es|ing)|discomfort)"
PAIN_FR = r"(douleur\w*|douloureu\w*|mal)"
SCORE_LEAD = (
    r"((is|was|s|at|a|an|of|about|around|like|level|score|rating|rated|rate|solid|easy|maybe|"
    r"probably|now|est|de|environ|genre|comme|une?|niveau|rendue?|vers|autour|pres|d|[|,]) ){0,4}"
)
OUT_OF_10 = r"( (10|out of 10|on 10|sur 10))"
# A range ("7-8", "8 or 9") is read by its first number.
HIGH_SCORE = (
    r"(?<!\.)([7-9](\.\d+)?|10|seven|eight|nine|ten|sept|huit|neuf|dix)(( to| or| a)? ([7-9]|10))?"
)
LOW_SCORE = r"(?<!\.)([0-4](\.\d+)?|zero)(( to| or| a)? [0-4])?"
SEVERE_SCORE = f"{HIGH_SCORE}({OUT_OF_10}|{NOT_A_UNIT})"
MILD_SCORE = f"{LOW_SCORE}({OUT_OF_10}|{NOT_A_UNIT})"

# Redness on the move: a motion verb, perhaps a direction, then a place on the body.
BODY_EN = (
    r"(neck|ears?|chest|jaw\w*|eyes?|cheeks?|chin|forehead|nose|temples?|colar ?bone\w*|"
    r"shoulders?|scalp|hair ?line|throat|lips?|mouth|face|other side)"
)
MOVES_EN = (
    r"(go|goes|going|gone|went|come|comes|coming|came|mov\w*|run\w*|ran|extend\w*|spread\w*|"
    r"creep\w*|crept|crawl\w*|travel\w*|migrat\w*|reach\w*|got|gets|getting|tak\w*|took|bled|"
    r"bleed\w*)"
    # "went down" alone is easing; a direction then a place on the body is moving.
    r"( (now|even|already|slowly|all the way))?( (down|up|over|across|out))?"
    r"( (to|into|onto|toward\w*|past|as far as))? "
)
TOWARD_EN = r"(down|up|over|across|to|into|onto|toward\w*)"
WHOSE_EN = r"((my|the|her|his|your) )?((left|right|upper|lower|other|whole) )?"
BODY_FR = (
    r"(cou|oreilles?|poitrine|machoire|oeil|yeux|joues?|menton|front|nez|tempes?|clavicules?|"
    r"epaules?|gorge|levres?|bouche|visage|face|autre cote|cuir chevelu|decolte)"
)
THE_FR = r"((le|la|les|l|mon|ma|mes) )?"
MOVES_FR = (
    r"(descend\w*|monte\w*|va|vont|rend\w*|est rendue?s?|gagn\w*|avance\w*|"
    r"propag\w*|etend\w*|atteint|rejoin\w*|progress\w*|envahi\w*)"
    r"( (maintenant|meme|encore|deja|rendu|tranquillement))?"
    r"( (jusqu a|jusqu au|jusqu aux|jusque dans|jusque sur|jusqu|vers|dans|sur|au|aux|a|en bas))?"
    r" ((le|la|les|l|mon|ma|mes|son|sa|ses|du|des|de l) )?"
)
# Lips or eyes said as a size rather than as a swelling.
SIZE_EN = (
    r"(huge|enormous|massive|giant|gigantic|ginormous|fat|(so|really|very|super|too|way) big|"
    r"bigger|thick|thicker|inflated|"
    r"blown up|blew up|blowing up|balloon\w*|like (a )?balloons?|doubled|tripled|"
    r"twice (as big|as thick|the size|their size|its size|the normal size|normal)|"
    r"(two|2|three|3) times (bigger|the size|as big))"
)
SIZE_FR = (
    r"(enorme\w*|gros|grosse\w*|double\w*|triple\w*|geante?s?|gonfl\w*|bouf\w*|"
    r"comme (des|une?) (ballons?|balounes?|saucisses?|boudins?)|"
    r"(deux|2|trois|3) fois (plus )?(gros\w*|la taille))"
)
CANNOT_EN = r"(can not|could not|can barely|barely|hardly|unable to|hard to|trouble)"
SIGHT_EN = r"(vision|sight|eyesight)"
HAZY_EN = r"(blur\w*|fuz\w*|cloudy|hazy|fog\w*|misty)"
BLURRED_FR = r"(flou\w*|brouill\w*|embrouill\w*)"
SWEAR_FR = r"(masse|titi|maudit|mautadit|criss|crisse|esti|tabarnak|ostie|malade|fou|sacrament)"
DARK_EN = r"(dark\w*|brown\w*|black|blackish|gr[ae]y\w*|purpl\w*)"
PATCHES_EN = r"(spots?|patch\w*|marks?|areas?|blotch\w*|splotch\w*|freckl\w*)"
DARK_FR = r"(brun\w*|fonce\w*|sombre\w*|noir\w*|pigment\w*|marron\w*|gris\w*)"
CANNOT_OPEN_FR = (
    r"(peux|peut|arrive|pouvais|capable|reussis|reussit) (pas|plus|presque pas|a peine) "
    r"(a |d |de )?((l|les|le) )?ouvr\w*"
)
# A tissue held on it this long, or bleeding this long: bleeding that does not stop.
LONG_WHILE = (
    r"(half an hour|an hour|une demi heure|une heure|plus d une heure|"
    r"(\d+|two|three|several|a few|many|deux|trois|plusieurs|des) ?(hours?|hrs?|heures?|h)|"
    r"([1-9]\d|twenty|thirty|forty|fifty|vingt|trente|quarante|cinquante) ?(min\w*))"
)
BLOTTING = r"(tissues?|kleenex|mouchoirs?|gauze|napkins?|paper towels?|essuie ?tout)"
# Scratching one's head or back is no scratching of the treated skin.
NOT_THE_SKIN = (
    r"(?! ((my|his|her|la|le|les|mon|ma|mes) )?(head|back|arms?|legs?|feet|hands?|tete|dos|bras|"
    r"jambes?|pieds?|mains?)\b)"
)
RUNNING_RED_EN = (
    r"((dripping|running|pouring|gushing|streaming|trickling) (red|blood)|"
    r"blood (dripping|running|pouring|gushing|streaming|trickling))"
)
RUNNING_RED_FR = r"(coul\w* (rouge|du sang|de sang|le sang))"
# Oozing, unless it runs red (then it is bleeding) or is the idiom "ça coule de source".
OOZING_FR = r"coul\w*(?! (rouge|du sang|de sang|le sang|de source))"
# Holding a tissue on it: someone trying to stop a bleed.
HOLDING = r"(hold\w*|held|press(ing|ed|es)?|tien\w*|tenir|appui\w*|press(e|ent|er))"
# The sign is the subject: "the itching wakes me up", "la douleur me réveille".
WAKES_ME_EN = r"(it |that |which )?(wakes?|woke|woken|waking|keeps? waking|kept waking) me"
WAKES_ME_FR = r"(ca |qui |elles? |ils? )?(me|m|nous) (reveill\w*|empech\w* de dormir)"
# Seen in the eye, not on the skin: "halos around lights", "floaters in my eye".
SEEN_EN = r"(halos?|floaters?|floaty|flash\w*|sparkl\w*|specks?|flicker\w*|zig ?zags?|auras?)"
IN_SIGHT_EN = (
    r"(in|across|over|from|of) (my |the )?((left|right) )?"
    r"(eyes?|vision|sight|field of (view|vision))"
    r"(?! (area|zone|region|lids?|bags?|circles?|corners?|hollows?|trough\w*))"
)
# "Seeing spots" is sight; "I see spots on my chin" is pimples.
SPOTS_SEEN_EN = (
    r"spots(?! ((on|around|near|along|all over|everywhere|where|across|that|popping|showing|"
    r"coming|forming|appear\w*)\b))"
)
# "Throat feels like it's closing", "la gorge comme si elle se fermait".
FEELS_LIKE_EN = r"(like |as if |as though )?(it s |its |it is |it was )?"
FEELS_LIKE_FR = r"(comme )?(si )?(elle |ca )?(se |s )?"
TIGHT_FR = r"serr(e|es|ee|ees|ent|er|ement)"  # not "serr\w*": squeezed, it would read "serum"
SCABS_EN = r"((my|the|those|these|a|some) )?(scabs?|crust\w*|pimples?|spots?|bumps?|flakes?|skin)"
FLUID_EN = r"(fluid|water|liquid)"
SCABS_FR = r"((mes|les|ma|mon|la|le|l) )?(croutes?|boutons?|peaux?|gales?)"
SEEN_FR = r"(halos?|mouches|eclairs|flash\w*|etoiles|lumieres?|eclats?|zig ?zags?)"
IN_SIGHT_FR = r"(dans|devant) (l |mon |ma |mes |les )?(oeil|yeux|vue|vision|champ de vision)"
# "Je vois des taches" on the skin is a patch, not a change in sight.
TACHES_SEEN_FR = (
    r"des taches(?! ([a-z]+ ){0,2}(sur|brun\w*|fonce\w*|rouge\w*|pigment\w*|de rousseur|"
    r"apparai\w*|appar\w*|partout)\b)"
)
# "Un peu chaud" is the expected sunburn-like warmth, not skin hot to the touch.
HOT_FR = r"(?<!un peu )(?<!legerement )(?<!peu )(chaud\w*|brulant\w*|hot)"

# Painkillers that are "not touching" the pain: pain that keeps getting worse.
PAINKILLERS = (
    r"(advils?|tylenols?|ibuprofen|motrin|aleve|aspirin|acetaminophen|paracetamol|naproxen|"
    r"painkillers?|pain killers?|pain (meds|medication|pills?)|meds|pills?|comprim\w*|"
    r"anti ?inflammatoires?|antidouleurs?|analgesiques?)"
)
# Parts of the body away from the face: hives there are a reaction of the whole body.
ELSEWHERE_EN = (
    r"(arms?|legs?|belly|stomach|tummy|chest|back|torso|body|hands?|feet|thighs?|hips?|"
    r"shoulders?|armpits?|wrists?|butt|bum)"
)
ELSEWHERE_FR = r"(bras|jambes?|ventre|poitrine|dos|corps|mains?|pieds?|cuisses?|hanches?|epaules?)"
# Welts, blotches, raised patches: what hives look like to the person who has them.
WELTS_EN = (
    r"(welts?|hives|blotch\w*|splotch\w*|bumps|lumps|rash\w*|"
    r"(red|raised|itchy|swollen|puffy|pink) (patch\w*|spots|marks|areas))"
)
WELTS_FR = (
    r"(plaques?|bosses|boutons rouges|marques rouges|rougeurs|cloches|"
    r"(grosses|petites) bosses)"
)
# Skin losing its blood supply after filler: white, then grey, blue, dusky, purple or marbled.
PALE_EN = r"(white|pale|paler|blanch\w*|black|blackish)"
# Said alone, these name a skin's colour; "blue", "grey" and "purple" also name lights, hair and
# shampoo, so they count only as a change ("turned blue") or said of the skin ("lip is grey").
DUSKY_ALONE_EN = (
    r"(gr[ae]yish|bluish|blueish|dusky|purplish|purply|livid|ashen|mottl\w*|marbl\w*|lacy|"
    r"lace like|net like|web like|livedo\w*)"
)
DUSKY_EN = rf"(gr[ae]y|blue|purple|violet|{DUSKY_ALONE_EN})"
TURNS_EN = (
    r"(turn\w*|went|gone|going|go|goes|became|becom\w*|changed|changing|got|gets|getting)"
    r"( (to|into))?( (all|really|very|kind of|kinda|a bit|slightly|almost|pretty|so|a))?"
)
# A bruise is expected after a needle; "purple bruise" is that, not a colour change.
NOT_A_BRUISE_EN = r"(?! ([a-z]+ )?(bruis\w*|mark from the needle))"
# The colour and texture of what comes out of a spot: pus by another name.
GOO_EN = (
    r"(goo|gooey|goop|goopy|gunk|gunky|gook|slime|slimy|sludge|muck|mucus|snot|sticky stuff|"
    r"wet stuff|runny stuff|liquid|fluid|juice)"
)
CRUST_EN = r"(crust\w*|scabs?)"
# Something said to stay: an expected effect that should have gone by now.
NOT_GOING_AWAY = (
    r"(still (there|here|present|around)|(will|does|do|did|has|have|is|are) not (gone|go|going|"
    r"went) away|not going away|never goes away|keeps? (coming|popping) back|keeps? coming|"
    r"(wo|do|does|did) not (leave|budge|fade|clear)|has not (budged|faded|cleared)|"
    r"(part|partent|disparait|disparaissent|s en va|s en vont|s en alle\w*) (toujours )?"
    r"(pas|plus|pu)|"
    r"(toujours|encore) (la|present\w*)|reste\w* (la|pareil\w*))"
)
# Applying a product and the skin reacting every time: a sensitivity to that product.
EVERY_TIME = (
    r"(every ?time|each time|whenever|any ?time|chaque fois|a chaque fois|toutes les fois|"
    r"a toutes les fois)"
)
APPLYING = (
    r"(put\w*|apply\w*|appli\w*|use|uses|using|wear\w*|mets|met|mettre|applique\w*|utilis\w*|"
    r"porte\w*)"
)

# Redness that has outgrown the line a patient drew around it.
PAST_THE_LINE = (
    r"(past|beyond|outside|over|across|crossed|cross\w*|passed|depas\w*|debord\w*|sort\w* de) "
    r"(of )?((the|my|his|her|le|la|les|mon|ma|mes|that|this|ce|cette|du|des) )?"
    r"((pen|marker|sharpie|ink|crayon|stylo) )?"
    r"(lines?|marks?|markings?|circle|outline|border|edge|boundary|traits?|lignes?|contours?|"
    r"cercle|marques?|limites?)"
)
# Moving to a place on the body, said of redness named elsewhere in the reply ("the red area was
# my cheeks, now it's going down my neck"): spreading redness when the reply mentions redness.
MOVING_NOW_EN = (
    r"(going|moving|spreading|creeping|crawling|travel\w*|reaching|heading|coming|extending|"
    r"running|migrating|"
    r"(has|have|s) (gone|moved|spread|reached|travel\w*|crept|made it|gotten|got))"
    r"( (now|even|already|slowly|all the way))?( (down|up|over|across|out))?"
    r"( (to|into|onto|toward\w*|past|as far as))? "
)
MOVING: tuple[str, ...] = (
    rf"{MOVING_NOW_EN}{WHOSE_EN}{BODY_EN}",
    rf"(now|also) (on|in|onto|down|up) {WHOSE_EN}{BODY_EN}",
    rf"all the way( (across|down|up|over|around))?( (to|into|onto|past))? {WHOSE_EN}{BODY_EN}",
    rf"(across|over) {WHOSE_EN}{BODY_EN} (to|into|onto|toward\w*) {WHOSE_EN}{BODY_EN}",
    rf"{MOVES_FR}{BODY_FR}",
    rf"(rendu\w*|descend\w*|monte\w*) (jusqu a|jusqu au|jusqu aux|jusque dans|jusque sur|dans|sur) "
    rf"{THE_FR}{BODY_FR}",
    PAST_THE_LINE,
    r"(ca|it|that) (depas\w*|debord\w*)",
    r"(bigger|larger|wider) than (it was )?(yesterday|this morning|last night|before|earlier)",
    r"(plus (grand|gros|large)\w*) (qu hier|que hier|que ce matin|qu avant|que tantot)",
)

# The eyes themselves, not the skin around them ("under-eye area", "eyelids").
THE_EYES_EN = (
    r"((my|the|both|left|right|one) ){0,4}eyes?"
    r"(?! (area|lids?|bags?|circles?|zone|contour|corners?|"
    r"hollows?|trough\w*|region))"
)

DISCHARGE_COLOUR_EN = r"(yellow\w*|green\w*|white|whitish|cloudy|milky|murky|creamy|smelly)"
GOO_TEXTURE_EN = r"(gooey|goopy|gunky|slimy|sticky|wet|moist|soggy|runny|squishy|mushy|juicy)"
UNDER_EN = r"(underneath|under|beneath|below)"
NOT_THE_WEATHER = r"(?! (outside|out|in here|weather|today))"
SWELLS_EN = r"(swell\w*|swol\w*|puf\w*|raised|rais\w* up)"
ONTO_EN = r"(on|over|across|all over|up|down|onto|to)"
WHOSE_SIDE_EN = r"(my |the |both |his |her )?((left|right|upper|lower|inner|whole) )?"
# A swelling, then a part said after a comma: "face swelling up badly, lips too".
AFTER_A_SWELLING_EN = (
    rf"{SWOLLEN_EN}( [a-z]+){{0,3}}( ,)? ((and|my|the|even|now|plus|both|especially|mostly|"
    r"particularly|including|around|under|on) ){0,4}"
)
AFTER_A_SWELLING_FR = (
    rf"{SWOLLEN_FR}( [a-z]+){{0,3}}( ,)? ((et|mes|les|la|ma|pis|meme|surtout|autour|des|aux|"
    r"sous|y compris) ){0,4}"
)
# Swelling that moved: "the swelling on my forehead moved down to my eyelids".
SPREAD_TO = (
    r"(mov\w*|spread\w*|drop\w*|travel\w*|migrat\w*|shift\w*|went|gone|slid\w*) (down |up )?"
    r"(to|into|onto|around) ((my|the|both) )?"
)
# "Especially around the eyes": the part named after the comma is the swollen one.
STRESSED = r"(especially|mostly|particularly|including|surtout|y compris)"
NOT_WORKING_EN = r"(touch\w*|help\w*|work\w*|do\w*|mak\w* a dif\w*|tak\w* the edge|cut\w*|dent\w*)"
NOT_WORKING_FR = r"(font|fait|marche\w*|aide\w*|fonctionne\w*|soulag\w*|change\w*|agi\w*|agissent)"
ONE_EYE_EN = r"(my |the )?(left |right |one )?eyes?"
SKIN_SPOT_EN = r"(skin|area|spot|lips?|nose|tip|cheeks?|chin|it|face)"
LOOKS_EN = r"(looks?|is|are|s|seems?|feels?|went|turned)"
# Between "is" and a colour: "is cold and pale", "looks kind of grey" (not "is naturally pale").
GOING_EN = r"((very|really|so|kind of|kinda|a bit|all|almost|super|too|a little|cold and) ){0,4}"
BEFORE_NOW_EN = r"(yesterday|this morning|before|last night|earlier)"
BAD_EN = r"(bad|big|huge|major|massive|terrible|awful|serious|severe|horrible|crazy)"
# How someone says they feel ill: "I feel so sick", "I'm lightheaded", "made me dizzy".
FEEL_EN = r"(feel|feels|feeling|felt|i m|im|i am|making me|made me)"
BECOME_EN = r"(got|get|getting|been|was|became)"
QUITE_EN = r"((so|really|very|super|pretty|kinda|kind of|a bit|a little|quite|just|generally) )?"
UNWELL_EN = r"(sick|ill|unwell|faint|dizzy|lightheaded|light headed|woozy|feverish)"
RUN_DOWN_EN = (
    r"(awful|terrible|horrible|weak|rough|crappy|like crap|like garbage|like trash|like death|"
    r"like a zombie|run down|wiped out|drained|poorly|rotten)"
)
# "Sick of waiting", "terrible about it": a feeling about something, not an illness.
NOT_ABOUT_EN = r"(?! (of|about|for|that|because|and tired|looking)\b)"
EYE_IRRITATED_EN = (
    r"(dry|drier|irritat\w*|water\w*|gritty|itch\w*|teary|tearing|bloodshot|red|crust\w*|gunky|"
    r"sticky|sensitive|scratchy|puffy|sore)"
)
EYE_IRRITATED_FR = (
    r"(secs?|seche\w*|irrit\w*|coul\w*|pleur\w*|rouges?|demang\w*|sensibles?|collent|colles?|"
    r"gratt\w*|sable)"
)
MOVE_FACE_EN = r"(move|raise|lift|smile|whistle|frown)"
FACE_PARTS_EN = r"(eyebrows?|brows?|eyes?|lips?|mouth|face|side|forehead)"
MOVE_FACE_FR = r"(bouger|lever|sourire|siffler|froncer)"
FACE_PARTS_FR = r"(sourcil|oeil|paupiere|levre|bouche|front|visage|face)\w*"
FACE_FR = r"(levre|joue|bouche|nez|front|menton|visage|face|peau)\w*"
RED_THINGS_EN = r"(tomato|lobster|beet|beetroot|strawberry|cherry|fire truck|stop sign)"
NEXT_SESSION_EN = (
    r"(the |my |our )?(next|upcoming|second|2nd|third|3rd|following|last) "
    r"(session|appointment|appt|treatment|one|visit|peel|round)"
)
NEXT_SESSION_FR = (
    r"(la |ma |mon |notre )?(prochaine?|deuxieme|2e|troisieme|3e|suivante?) "
    r"(seance|rendez vous|rdv|traitement|fois|visite|peeling)"
)
SPOTS_FR = r"(boutons?|plaies?|trous?|points?|croutes?|bosses?|cloques?|ampoules?|liquide)"
PALE_FR = r"(blanche?s?|blancs?|pales?|gris\w*|bleue?s?|mauve|violet\w*)"
TURNS_FR = (
    r"(devenu\w*|devient|vir\w*|tourn\w*|change\w*) "
    r"((toute?s?|vraiment|un peu|comme|au|a|en) ){0,4}"
)
QUITE_FR = r"((toute?s?|vraiment|un peu|comme) ){0,4}"
VERY_FR = r"((vraiment|tres|super|full|ben|toute?|un peu) )?"
SKIN_SPOT_FR = r"(peau|zone|levres?|nez|bout du nez|joues?|menton|coin|bouche)"
NOT_A_BRUISE_FR = r"(?! ([a-z]+ )?(bleus?|ecchymose\w*))"
COLD_FR = r"(froide?s?|glacee?s?)"
PRESS_FR = r"(pese|pesee|peser|pesais|pesait|appuye|appuyer|ecrase|ecraser)"
UNWELL_FR = (
    r"(pas bien|pas ben|mal|malade|faible|molle?|tout croche|bizarre|etourdi\w*|comme un zombie)"
)
RUN_DOWN_FR = r"(malade|faible|molle?|etourdie?s?|a terre|videe?|sans energie|amorphe|ko)"

AND_EVEN_EN = r"(even|also|and|plus|now) ((on|in) )?"
AND_EVEN_FR = r"(meme|aussi|et|pis|jusque) ((sur|dans) )?"
# What a reaction could be to: the treatment and what the clinic gave. "Allergic to penicillin"
# or "allergique aux noix" is a standing allergy, no reaction.
PRODUCT = (
    r"(the|this|that|your|it|something|my new|the new|cream|serum|product|filler|peel|numbing|"
    r"lidocaine|sunscreen|moisturi\w*|ointment|la|le|les|cette|ce|votre|quelque chose|creme|"
    r"produit|peeling|anesthesi\w*)"
)
_I_AM = r"(i m|im|i am|been|je suis|chu|suis)"
ALLERGIC_TO_OTHER = rf"{_I_AM} allergi\w* (to|a|au|aux)(?! {PRODUCT}\b)"
ALLERGIC = (
    r"(?<!i m )(?<!im )(?<!i am )(?<!been )(?<!je suis )(?<!chu )(?<!suis )allerg\w*|"
    rf"{_I_AM} allerg\w*(?! (to|a|au|aux) (?!{PRODUCT}\b))"
)
# Asking whether one may pop them, object included: "can I pop the little whiteheads?"
_PICKED = (
    r"( (the|my|these|those|a|les|mes|le|la|un|des|ses))?( (little|small|tiny|petits?|petites?))?"
    r"( (whiteheads?|pimples?|spots?|bumps?|scabs?|blisters?|boutons?|croutes?|points?|bosses?|"
    r"blancs?)){0,4}"
)
PICK_EN = rf"(pop|pick|squeeze|scratch|peel|pull)( at| off)?{_PICKED}"
PICK_FR = rf"(peter|percer|gratter|pincer|arracher|presser|enlever){_PICKED}"

# fmt: off
EN_SIGNS: tuple[Sign, ...] = (
    # Infection
    sign(URGENT, "pus", rf"""
        pus\w*|weep\w*|discharge\w*|drain\w*
        leak\w*(?! (serum|cream|product|lotion|oil|gel)\b)
        ooz(e|es|ed|ing|y)|seep(s|ed|ing|age)
        {DISCHARGE_COLOUR_EN} ~ (fluid|liquid|stuff|crust\w*|goo|gunk)
        (yellow\w*|green\w*|cloudy|milky|murky|creamy|thick|smelly|brown\w*) ~ {GOO_EN}
        {GOO_EN} ~ (com\w*|came|leak\w*|drip\w*|drain\w*|pour\w*|run\w*|squirt\w*) out
        (stuff|something) ~ (com\w*|came|leak\w*|drip\w*|drain\w*|pour\w*|run\w*) out (of|from)
        {CRUST_EN} ~~ {GOO_TEXTURE_EN} {UNDER_EN}
        {GOO_TEXTURE_EN} (stuff|bits?|mess|layer) ~ {UNDER_EN}
        (gooey|goopy|gunky|slimy|runny) (stuff|bits?|mess)
        {CRUST_EN} ~~ (keeps?|kept|gets|getting) (wet|moist|soggy|sticky|gooey)
        {CRUST_EN} ~ (wet|moist|soggy|weep\w*|sticky|gooey)
        (wet|moist|soggy|sticky|gooey) (and )?(crusty|crusted|scabby)
        honey ~ {CRUST_EN}|{CRUST_EN} ~ honey|golden (crust\w*|scabs?)
        {CRUST_EN} ~ (turn\w*|going|gone|went|getting|is|are) (yellow\w*|green\w*|golden)
        (yellow\w*|green\w*|golden) (crust\w*|scabs?|heads?|tops?)
        (foul|bad|weird) (smell\w*|odou?r)
        smel\w* (bad|foul|funny|weird)
        stinks?
    """),
    sign(URGENT, "fever", rf"""
        f(e|i|ea|ie|ei)?ve?r(?!ier)\w*
        febrile|{TEMPERATURE}
        (?<!\.)(3[89]|4[0-2])\.\d{NOT_A_UNIT}
        (?<!\.)(100\.[4-9]|10[1-6]\.\d){NOT_A_UNIT}
        burning up
        {C_HIGH} ?(c|deg\w*|celsius)
        {F_HIGH} ?(f|deg\w*|fahrenheit)
        (temp|temperature|thermomet\w*) ~ {TEMP_HIGH}{NOT_A_UNIT}
        (at|hit|hitting|reached|up to|spiked to|went up to) {TEMP_SAID}
    """),
    sign(URGENT, "flu-like symptoms", r"""
        flu ?like
        (getting|get|coming down with|have|had|got|caught) (the |a )?flu
    """),
    sign(URGENT, "chills", rf"""
        chil+s|chilly|shiver\w*
        shak\w* (uncontrol\w*|all over)
        (i m|im|i am|feel\w*|felt|so|really|been|keep|kept|can not stop) (shak\w*|trembl\w*)
        shaky
        rigors?
        cold sweats?|night sweats?|sweat\w* (buckets|through)
        the (sweats|shakes|chills|shivers)|sweats and (shakes|chills)
        (can not|could not) (get|stay|keep) warm
        (i m|im|i am|feel\w*|felt|so|been) (freezing|frozen|cold){NOT_THE_WEATHER}
        teeth (are )?(chattering|chatter)|chattering teeth
    """),
    sign(URGENT, "skin hot to the touch", rf"""
        (hot|warm|heat\w*) ~ (to|when i|when you) (the )?touch\w*
        (skin|face|cheeks?|area|forehead|it) (is |feels? |felt |feeling )?{INTENSE}? ?hot
        (feels?|feeling|felt|is|are|s|burning|very|so|really) hot(?! (out\w*|weather|in here))
        radiat\w* heat
        (cooking|boiling|baking|roasting|burning) (from )?(the )?inside
        hot and (red|swol\w*|painful|tender|throb\w*)
        (red|swol\w*|painful|tender|throb\w*) and hot
    """),
    sign(URGENT, "red streaks", r"""
        (red|pink|dark) (streak\w*|lines?|stripes?)
        streak\w*
    """),
    sign(URGENT, "spreading redness", rf"""
        {RED_EN} ~ {SPREAD_EN}
        spread\w* (red|redness|rash)
        red\w* (area )?(is |keeps )?(getting )?(bigger|larger|wider)
        spread\w* (everywhere|fast|quickly|rapidly|across|all over|down|up|to|over)
        (it s|its|it is) (spreading|getting bigger|growing)
        (keeps?|kept|still|continu\w*) (on )?(spreading|growing|getting (bigger|larger|wider))
        {RED_EN} ~~ (creep\w*|crept|crawl\w*|migrat\w*)
        {RED_EN} ~ (travel\w*|mov\w* (out\w*|further|farther))
        {RED_EN} ~ (go\w*|went|spread\w*|mov\w*|get\w*|got) (further|farther|bigger and bigger)
        {RED_EN} ~ {MOVES_EN}{WHOSE_EN}{BODY_EN}
        (creep\w*|crept|crawl\w*|spread\w*) (now )?{TOWARD_EN} {WHOSE_EN}{BODY_EN}
        {RED_EN} ~ (on|in|onto|to|down|up|by|near) {WHOSE_EN}{BODY_EN} (too|as well|also)
        {RED_EN} ~ (now|also) (on|in|onto|down|up|by|near) {WHOSE_EN}{BODY_EN}
        (creep\w*|crawl\w*|moving|travel\w*) (red|redness|rash)
        {RED_EN} ~~ {PAST_THE_LINE}
    """),
    sign(URGENT, "possible infection", r"""
        infect\w*|enfect\w*|infec\w*|abscess\w*|absess\w*|cellulit\w*|impetig\w*|seps\w*|septic
    """),
    # Allergic reaction
    sign(URGENT, "allergic reaction", rf"""
        hives|welts?|urticaria|{ALLERGIC}
        {WELTS_EN} ~ (that |which |and )?(are |keep |kept |started )?{SWELLS_EN}
        (raised|swollen|puffy) (red )?(blotch\w*|patch\w*|bumps)
        {WELTS_EN} ~~ {ONTO_EN} {WHOSE_SIDE_EN}{ELSEWHERE_EN}
        {ELSEWHERE_EN} ~ (covered|full) (in|of|with) {WELTS_EN}
        {WELTS_EN}( [a-z]+){{0,4}}( ,)? {AND_EVEN_EN}{WHOSE_SIDE_EN}{ELSEWHERE_EN}
        (itchy|raised|swollen|puffy) ((red|pink) )?{WELTS_EN} ~ (everywhere|all over)
    """),
    sign(URGENT, "swelling of the lips", rf"""
        {SWOLLEN_EN} ~ (upper |lower |bottom |top )?(lips?|mouth)
        (lips?|mouth) ~ {SWOLLEN_EN}
        lips? ~ (stick\w*|poke\w*|puf\w*) (way )?out
        (swelling|swol\w*|puf\w*) (of|in|on|around) (my |the )?(mouth|lips?)
        lips? ~ {SIZE_EN}
        (huge|enormous|massive|giant|fat|inflated|ballooned|thick) (upper |lower )?lips?
        lips? ~~ (filler\w*|injected|injections?|duck lips?|bee sting|stung)
        lips? ~~ (punch\w*|smack\w*|beaten up|boxer|fat lip|stung by)
        {AFTER_A_SWELLING_EN}(lips?|mouth) (too|as well|also)
        {SWOLLEN_EN}( [a-z]+){{0,3}}( ,)? {STRESSED} ~ (lips?|mouth)
    """),
    sign(URGENT, "swelling of the eyes", rf"""
        {SWOLLEN_EN} ~ {EYES_EN}
        {EYES_EN} ~ ({SWOLLEN_EN_WORDS}|{SIZE_EN}|shut|closing)
        {CANNOT_EN} (even )?(fully )?open(ing)? ((my|the|her|his) )?((left|right) )?{EYES_EN}
        {EYES_EN} ~~ ({CANNOT_EN}|will not|would not|does not) (even )?(fully )?open
        {AFTER_A_SWELLING_EN}{EYES_EN} (too|as well|also)
        {SWOLLEN_EN}( [a-z]+){{0,3}}( ,)? {STRESSED} ~ {EYES_EN}
        (swelling|swol\w*|puf\w*) ~~ {SPREAD_TO}{EYES_EN}
    """),
    sign(URGENT, "swelling of the throat", rf"""
        (throat|tongue) ~ {FEELS_LIKE_EN}({SWOLLEN_EN_WORDS}|tight\w*|clos\w*|thick\w*)
        (throat|tongue) ~ {FEELS_LIKE_EN}(big|bigger|fat|heavy|too big)
        (tongue|throat) ~ (tingl\w*|itch\w*|prickl\w*|numb\w*|fuzzy)
        ({SWOLLEN_EN_WORDS}|tight\w*|closing) ~ (throat|tongue)
        (hard|trouble|difficult\w*|pain\w*) (to )?swallow\w*
        {CANNOT_EN} (even )?swallow\w*
        (hurts?|pain\w*|painful|burns?|sore) (to|when (i|you)) swallow\w*
        (throat|tongue) ~~ swallow\w*
        swallow\w* ~ (hurts?|pain\w*|painful|sore|burns?)
        hoarse\w*
        voice ~ (raspy|croaky|muffled|chang\w*|weird|strange)
    """),
    sign(URGENT, "trouble breathing", r"""
        (trouble|difficult\w*|hard( time)?|problem\w*|struggl\w*|issues?|harder) ~ breath\w*
        can not (catch my )?breath\w*
        short(ness)? of breath
        out of breath
        wheez\w*
        whistl\w* ~ (when |as |while )?(i |you )?breath\w*
        (breath\w*|chest) ~ whistl\w*
        (can not|could not|can barely|hard to|struggl\w* to) (get|catch) (enough )?(air|breath)
        (can not|could not|can barely|hard to|struggl\w* to) take (a full |a deep )?breath
        not (getting )?enough air
        gasp\w* (for )?(air|breath)
        (chest|breathing) ~ (tight\w*|heavy)
        tight chest
    """),
    # Pain, bleeding, blisters, eyes
    sign(URGENT, "severe pain", rf"""
        {SEVERE} (pain|ache)\w*
        (pain|hurt)\w* ~ (severe|unbearable|terrible|excruciating|really bad|so bad|awful)
        {PAIN_EN} ~ {HIGH_SCORE}{OUT_OF_10}
        {PAIN_EN} {SCORE_LEAD}{SEVERE_SCORE}
        {HIGH_SCORE}{OUT_OF_10} ~ {PAIN_EN}
        {INTENSE} (painful|sore|tender)
        hurts? ~ (so much|a lot|like hell|really bad)
        (pain\w*|hurt\w*|throb\w*|ach\w*|sore) ~ like (crazy|hell|mad|nothing else)
        (really|seriously|badly) hurts?
        unbearabl\w*|excruciat\w*|agony
        (pain\w*|hurt\w*) ~~ (cry\w*|tears)|cry\w* (from|because of) the pain
        (can not|could not) (take|stand|handle|bear) (the|this) (pain|hurt\w*)
        (pain\w*|hurt\w*) ~~ (can not|could not|unable to|not able to) sleep
        (pain\w*|hurt\w*|throb\w*|ach\w*) ~ {WAKES_ME_EN}
    """),
    sign(URGENT, "pain getting worse", rf"""
        {PAIN_EN} ~ (worse|worsening|increas\w*|climbing|building|ramp\w* up|escalat\w*|intensif\w*)
        (worse|worsening|more|increasing|growing) (and (worse|more) )?{PAIN_EN}
        {PAIN_EN} ~~ (every|each|by the) (hour|minute)
        hurts? (more|worse) (and (more|worse)|every|each|by the|than)
    """),
    sign(URGENT, "pain not eased by painkillers", rf"""
        {PAINKILLERS} ~~ (not|nothing|barely|hardly|no longer|never) (even )?{NOT_WORKING_EN}
        (nothing|no ({PAINKILLERS})) (helps?|works?|touches?) ~ {PAIN_EN}
        {PAINKILLERS} ~ (do|does|did|doing|are doing) (nothing|jack|zilch|zero|squat)
        {PAINKILLERS} ~~ still ~ ({PAIN_EN}|throb\w*)
        (despite|even with|even after|even on) (the |my |taking )?{PAINKILLERS}
    """),
    sign(URGENT, "bleeding that does not stop", rf"""
        (still|keeps?|kept|constantly|heavily|profusely|non ?stop) ~ (bleed\w*|bled)
        (still|keeps?|kept|constantly|non ?stop) ~ {RUNNING_RED_EN}
        blood ~ (keeps?|kept|still) (coming|dripping|running|trickling|oozing)
        (pouring|gushing|streaming) (blood|red)|blood (pouring|gushing|streaming)
        {HOLDING} ~ {BLOTTING} ~~ (for|since) {LONG_WHILE}
        (for|since) {LONG_WHILE} ~~ {HOLDING} ~ {BLOTTING}
        (bleed\w*|bled) ~ (for|since) {LONG_WHILE}
        (bleed\w*|blood\w*|bled) ~~ (will not|does not|did not|can not|not|never) stop\w*
        (bleed\w*|bled) ~ for (\d+|two|three|several|a few|many) hours
        (will not|does not|can not|not) stop\w* (the )?(bleed\w*|blood\w*)
        (bleed\w*|blood) ~ (a lot|heavily|profusely|non ?stop|for hours|all (day|night))
        (bleed\w*|blood) ~ (everywhere|through)
        (lots of|a lot of) blood
    """),
    sign(URGENT, "blisters", rf"""
        blister\w*|vesic\w*
        bubbles?(?! (bath|tea|wrap|gum)\b)
        {FLUID_EN}( ?filled)? (bumps?|pockets?|sacs?|pimples?|spots?|blebs?|heads?)
        {FLUID_EN} ?filled
        (bumps?|pockets?|sacs?|pimples?|spots?|heads?) ~ (filled with|full of) (clear )?{FLUID_EN}
    """),
    sign(URGENT, "vision changes", rf"""
        ({HAZY_EN}|doubl\w*|dim|weird|strange|los\w*|chang\w*) ~ {SIGHT_EN}
        {SIGHT_EN} ~ ({HAZY_EN}|doubl\w*|weird|strange|chang\w*|off|problem\w*|dark\w*|dim)
        (seeing|see|saw) (double|floaters|flashes|stars|blur\w*)
        (seeing|see|saw) {SPOTS_SEEN_EN}
        (seeing|see|saw|sees|notic\w*) (some |these |those |little |tiny |weird |bright )?{SEEN_EN}
        ({SEEN_EN}|spots|dots|shadows?) ~ {IN_SIGHT_EN}
        halos? (a)?round (the )?(lights?|lamps?|things|everything)
        (see|sees|seeing|saw|seen) ~ (double|doubled|in double|two of every\w*|twice)
        (trouble|hard|can not|difficult\w*) (to )?focus\w*
        {SIGHT_EN} ~ (smear\w*|smudg\w*)
        (looking|look|see\w*) through (a |wax |frosted )?(paper|glass|fog|film|haze|veil)
        (vision|sight|eyesight|everything) ~ (went|goes|going|is) (dark|black|grey|gray|white)
        two of everything
        blur\w*(?! (photo|pic\w*|image|selfie|video))
        (everything|things|it all|objects) ~ (doubl\w*|{HAZY_EN})
        (words|letters|text|the screen|my phone) ~ (doubl\w*|{HAZY_EN})
        can not see (well|properly|clearly|right|straight|out of)
        (blur\w*|fuz\w*|cloudy|hazy) ~ (in|from|out of|with) (my |the )?(left |right )?eyes?
        eyes? ~ (blur\w*|fuz\w*|cloudy|hazy)
        (trouble|hard|difficult\w*|problem\w*) (seeing|to see)
        ({HAZY_EN}|dim|dark|shadow\w*) ~ (in|from|out of|with|on) {ONE_EYE_EN}
    """),
    sign(URGENT, "mottled or dusky skin", rf"""
        {TURNS_EN} ({PALE_EN}|{DUSKY_EN}){NOT_A_BRUISE_EN}
        {DUSKY_ALONE_EN}{NOT_A_BRUISE_EN}
        {SKIN_SPOT_EN} ~ {LOOKS_EN} {GOING_EN}({PALE_EN}|{DUSKY_EN})
        blanch\w*
        (cold|cool|icy|chilly) (and|&) ({PALE_EN}|{DUSKY_EN})
        ({PALE_EN}|{DUSKY_EN}) (and|&) (cold|cool|icy)
        {SKIN_SPOT_EN} ~ (is|feels?|s) ((really|so|very|ice|icy|kind of) )?cold to (the )?touch
        {PALE_EN} (and|or) {DUSKY_EN}
        (white|pale|blanch\w*) (patch\w*|area|blotch\w*|tinge|tint|hue|cast|colou?r)
        (black|dark) (and )?(dead|crusty|necro\w*)|necro\w*
        ({PALE_EN}|{DUSKY_EN}) (tinge|tint|hue|cast|colou?r|discolou?ration)
        (colou?r|tinge|tint|hue) ~ (chang\w*|off|weird|strange|wrong)
        (pattern|net|web|lace) like|lace ?like pattern|(net|web|lace) pattern
        like (a )?(net|web|spider ?web|lace|map|fishnet)
        {DUSKY_EN} (marks?|patch\w*|spots?|areas?|blotch\w*|splotch\w*|streaks?){NOT_A_BRUISE_EN}
    """),
    sign(URGENT, "eye pain", rf"""
        eye ?(pain|ache)
        pain (in|around|behind) (my |the )?eyes?
        {EYES_EN} (hurts?|hurting|is hurting|are hurting|burn\w*|sting\w*|throb\w*|pain\w*)
    """),
    # Concerns
    sign(CONCERN, "worried", r"""
        worr(y|i)\w*|concern\w*|anxious|scared|afraid|nervous
        freak\w* out
        (flip\w*|trip\w*) out
        panic\w*|alarm\w*|frighten\w*
        (not|does not (look|seem|feel)|do not (think|feel)) (look\w* |seem\w* )?(normal|right)
        abnormal
        something( is)? wrong
        is this bad
    """),
    sign(CONCERN, "getting worse", rf"""
        worse|worsening
        (redder|more (red|swollen|puffy|painful|sore|itchy)|puffier) than {BEFORE_NOW_EN}
        not (getting )?better
        not improving
    """),
    sign(CONCERN, "worsening breakout", rf"""
        {PIMPLES_MORE} ((new|little|small|tiny|red|white|itchy) ){{0,4}}{PIMPLES_EN}
        {PIMPLES_EN} ~ (worse|worsening|spread\w*|multipl\w*|getting (bigger|worse)|everywhere)
        (broke|breaking|break\w*) out ~ (more|worse|badly|everywhere|a lot)
        {BAD_EN} ((acne|pimple|skin|cystic) )?(breakouts?|break outs?|acne)
    """),
    sign(CONCERN, "intense itching", rf"""
        {INTENSE} itch\w*
        itch\w* ~ (a lot|like crazy|so much|badly|constantly|all the time|non ?stop)
        itch\w* ~ (unbearabl\w*|intense\w*|so bad|really bad|too much)
        intense(ly)? itch\w*
        itch\w* (all over|everywhere)
        can not stop (scratch|itch)\w*
        itch\w* ~ (non ?stop|constant\w*|all (day|night)|24 ?7|crazy|insane\w*|nuts|like (mad|hell))
        itch\w* ~ (as hell|af|keep\w* me (up|awake)|relentless|incessant|never ending|endless)
        itch\w* ~ (terribl\w*|horribl\w*|awful\w*|(driv\w*|making) me (crazy|nuts|insane|mad))
        (crazy|insanely|terribly|horribly|incredibly|ridiculously) itch\w*
        itch\w* ~~ (can not|could not|unable to) sleep
        (itch\w*|scratch\w*) ~ {WAKES_ME_EN}
        scratch\w* ~ (non ?stop|constant\w*|all (day|night)|like (crazy|mad))
    """),
    sign(CONCERN, "painful cysts", rf"""
        (painful|big|deep|large|hard|sore|under ?ground) ~ (cysts?|lumps?|nodul\w*|boils?)
        (bumps?|lumps?|balls?|knots?|beads?|peas?|marbles?|grains?) ~~ {UNDER_EN} (the |my )?skin
        (feels?|felt|like) (like )?(a |an )?(pea|marble|bead|grain of rice|rice grain|pebble)
        cysts?|lumps?|nodul\w*|boils?
    """),
    sign(CONCERN, "burning or stinging", r"""
        burn\w*|sting\w*|stung|prickl\w*
        on fire
    """),
    sign(CONCERN, "cold sore", r"""
        cold ?sores?
        herpe\w*
    """),
    sign(CONCERN, "dark patches", rf"""
        {DARK_EN} ~ ({PATCHES_EN}|pigment\w*|stains?)
        {PATCHES_EN} ~ {DARK_EN}
        (skin|face|cheeks?|forehead|chin|upper lip) ~ (darker|darken\w*|brown\w*)
        (skin|face|cheeks?|forehead|chin|upper lip) ~ turn\w* (dark|brown)\w*
        darken\w*
        hyper ?pigment\w*
        pigment\w*|discolo\w*|melasma
        (darker|browner|greyer|grayer) than
        (getting|gets|got|turning|turned|going|went|becom\w*|became) (much |a bit )?(darker|browner)
        (like|as if) (a |an )?((dark|brown|grey|gray) )?(shadow|stain)
    """),
    sign(CONCERN, "picking", rf"""
        pick(ed|ing|s)?(?! up)
        pop(ed|ing|s)?(?! up)
        squeez\w*
        scratch(ed|ing)? (it|them|off|open)
        peel\w* (it|them|the skin) off
        pulled off
        pick\w* (at|at it)
        scratched{NOT_THE_SKIN}
        (keep|kept|been|am|m|was|were) scratching
        scratch(ing|es)? ~ (open|raw|scabs?|crust\w*)
        (play\w*|fiddl\w*|mess(ing|ed)?|fidget\w*) (with|at) {SCABS_EN}
        touch\w* ((my|the|those|these) )?(scabs?|crust\w*|pimples?|blisters?)
    """),
    sign(CONCERN, "swelling not going down", rf"""
        still {SWOLLEN_EN}
        (swelling|swol\w*|puf\w*) ~ (not|never) (going|gone|go|come|came|coming) down
        (swelling|swol\w*|puf\w*) ~ (still there|persist\w*)
    """),
    sign(CONCERN, "swelling", rf"""
        {SWOLLEN_EN_WORDS}|swelling
    """),
    sign(CONCERN, "pain", r"""
        pain\w*|hurt\w*|ach(e|es|ing|y)|throb\w*
    """),
    sign(CONCERN, "bleeding", rf"""
        bleed\w*|bled|blood\w*
        {RUNNING_RED_EN}
        {HOLDING} ~ {BLOTTING}
    """),
    sign(CONCERN, "rash", r"""
        rash\w*
    """),
    sign(CONCERN, "intense redness", rf"""
        {INTENSE} red
        (bright|deep|angry|fire engine|beet) red
    """),
    sign(CONCERN, "asks to be called", r"""
        call me
        give me a call
        phone me
        (see|speak to|talk to) (a |the )?(doctor|nurse|someone)
        come in (to|and) (see|check)
    """),
    sign(URGENT, "feeling unwell", rf"""
        {FEEL_EN} {QUITE_EN}({UNWELL_EN}|{RUN_DOWN_EN}){NOT_ABOUT_EN}
        {BECOME_EN} {QUITE_EN}{UNWELL_EN}{NOT_ABOUT_EN}
        (not|never) (feeling|feel) (well|good|great|right|myself)
        nause\w*|queasy|vomit\w*|throw\w* up|threw up|puk\w*|barf\w*|dry heav\w*|sick to my stomach
        (can not|could not) keep (anything|food|water|it|much) down|dizzy spell|fainting spell
        dizz\w*|lightheaded|light headed|woozy|vertigo|(room|head|everything) ~ spin\w*
        (going to|gonna|about to|almost|nearly|might|could) (faint|pass out|black out|collapse)
        felt like i (would|was going to) (faint|pass out|black out|collapse)
        faint(ed|ing)|pass(ed|ing)? out|black(ed)? out|collaps\w*
        (body|muscles?|joints?|everything|whole body|bones) ~ (ach\w*|hurt\w*|sore)
        (ach\w*|sore|hurt\w*) (all over|everywhere)|body ?aches?|achy all over|aching all over
        (hit|run over|ran over) by (a |an )?(truck|bus|train|car|semi|tractor)
        death warmed (over|up)|like a zombie
        (so|very|really|super|too) (weak|exhausted|drained|wiped)|weakness
        (can not|could not|can barely|could barely|unable to) (get|stand|sit) up
        (can not|could not|can barely|could barely|unable to) get (out of bed|off the (couch|sofa))
        no energy|zero energy|completely drained|wiped out|knocked out|run down
        palpitations?|heart ~ (racing|pounding|fluttering|skipping)
    """),
    # Unsure means louder: a bodily symptom no sign above places is for staff to look at.
    sign(CONCERN, "eye irritation", rf"""
        {THE_EYES_EN} ~ {EYE_IRRITATED_EN}
        {EYE_IRRITATED_EN} ((and|or) [a-z]+ )?{THE_EYES_EN}
        sensitive to (the )?light|light ~ (bothers|hurts) ~ eyes?
    """),
    sign(CONCERN, "drooping or uneven", rf"""
        droop\w*|sag(gy|ging|s)?|ptosis|heavy (eye)?lids?|crooked|lopsided|asymmetr\w*
        uneven (smile|face|brows?|eyebrows?|lips?)
        one side ~ (lower|higher|droop\w*|different|bigger|smaller|not moving|frozen)
        (higher|lower|droopier|heavier|flatter|bigger|smaller|puffier|redder) than (the )?other
        different from the other( side| one)?
        (can not|could not) ((really|even|fully|quite) )?{MOVE_FACE_EN}
        (forehead|brows?|eyebrows?|eyelids?|lids?) ~ (heavy|frozen|stuck|feels? heavy)
        (eyebrows?|brows?|eyelids?|lids?|smile|corner of my mouth) ~ (lower|higher|sunken|uneven)
    """),
    sign(CONCERN, "other symptom", rf"""
        headache\w*|migraine\w*|head ?ache\w*
        head ~ (hurts?|hurting|pound\w*|throb\w*|ach\w*|splitting)
        nose ?bleed\w*|bleed\w* (from|out of) (my |the )?nose|bloody nose|nose ~ bleed\w*
        raw|open (sore|wound|cut|patch)\w*|split open|fissure\w*
        (skin|lips?|corners?|chin|mouth|nose|cheeks?|it|face) ~ crack\w*(?! up)
        crack(ed|s|ing) (skin|lips?|corners?|open)
        skin ~ (ripped|tore|torn) (off|open)
        (bleed\w*|blood\w*|raw|shiny|weep\w*) ~ (underneath|under it|beneath|below)
        (underneath|under it|beneath) ~ (bleed\w*|raw|shiny)
        numb|numbness|numbed|numbing(?! (cream|gel|agent|spray|ointment|stuff|product))
        tingl\w*|pins and needles|(can not|could not|can barely) feel (my|the|it)
        (feel|feeling|felt) off
        swollen (glands?|lymph nodes?|nodes)|lymph nodes?
        (metallic|weird|strange|funny|bad) taste|(can not|could not) (taste|smell)
        twitch\w*|spasm\w*|cramp\w*|stiff (neck|jaw)|(neck|jaw) ~ (stiff|click\w*|lock\w*)
        hair ~ (falling|coming) out|hair loss|losing (my )?hair|bald spot
        scarring|scar tissue|(have|got|left|leaving|leave|now) (a |some )?(new )?scars?
        ringing in (my )?ears?|ears? ~ (ring\w*|block\w*|plug\w*|muffl\w*)
        (hard|firm) (bump|spot|area|knot|ridge|line|ball|bead)s?|lumpy|ridges?|beads? under|knots?
        (feels?|feeling|felt|looks?|looking) {QUITE_EN}(weird|strange|odd|wrong)(?! but good)
    """),
    # Expected effects, thanks
    sign(ROUTINE, "mild redness", rf"""
        {MILD}{RED_EN}|pink|pinkish|flushed
        (look\w*|like|as red as) (a |an )?{RED_THINGS_EN}
        (like|as if) ~ sunburn\w*
        sunburn\w*|red|redness|reddish
        red (area|patch\w*|mark\w*)
    """),
    sign(ROUTINE, "small pimples", rf"""
        {PIMPLES_FEW} (bit )?(of )?{PIMPLES_EN}
        {PIMPLES_EN}
        micro ?cysts?
        milia
        (breaking|break\w*|broke) out
    """),
    sign(ROUTINE, "mild swelling", rf"""
        {MILD}(swelling|{SWOLLEN_EN_WORDS})
    """),
    sign(ROUTINE, "mild discomfort", rf"""
        {MILD}(pain\w*|hurt\w*|sore\w*|tender\w*|ach\w*|sting\w*|burn\w*|discomfort|tingl\w*)
        sore(ness)?|tender\w*|sensitive|discomfort
        {PAIN_EN} ~ {LOW_SCORE}{OUT_OF_10}
        {PAIN_EN} {SCORE_LEAD}{MILD_SCORE}
        (pain\w*|hurt\w*|sore\w*) ~ (manageable|tolerable|bearable|minimal|mild)
        (burn\w*|sting\w*|warm\w*|tingl\w*) (a (little|bit|tad)|slightly|a little bit)
        (burn\w*|sting\w*|warm\w*|hot) ~ (like|as if|as though) ~ sunburn\w*
        (burn\w*|sting\w*|warm\w*|hot) ~ like ~ (day at the beach|after the beach)
    """),
    sign(ROUTINE, "bruising", r"""
        bruis\w*
    """),
    sign(ROUTINE, "minor bleeding", rf"""
        {MILD}(bleed\w*|blood\w*|bled)
        (tiny|spot of|few|pin ?point) (bit )?(of )?(bleed\w*|blood\w*|bled)
        (bleed\w*|bled) (a )?(tiny |little |teeny )?(bit|little)
    """),
    sign(ROUTINE, "mild itching", r"""
        itch\w*
    """),
    sign(ROUTINE, "tightness", r"""
        tight\w*
    """),
    sign(ROUTINE, "dryness", r"""
        dry\w*|dried
    """),
    sign(ROUTINE, "peeling", r"""
        peel\w*|flak\w*|shed\w*|scab\w*|crust\w*
    """),
    # Asking whether one may pop or peel them is a question, not picking.
    sign(ROUTINE, "asks about picking", rf"""
        (can|could|should|may) i {PICK_EN}
        (is it|it s|it is) (ok|okay|fine|safe|bad) to {PICK_EN}
    """),
    # A standing allergy ("allergic to penicillin") is no reaction to the treatment.
    sign(ROUTINE, "known allergy", rf"""
        {ALLERGIC_TO_OTHER}
    """),
    # Nerves about the next appointment are about a date, not about the skin.
    sign(ROUTINE, "about the next session", rf"""
        (nervous|anxious|worried|scared|stressed|excited|freaking out) (about|for) {NEXT_SESSION_EN}
    """),
    sign(ROUTINE, "thanks", r"""
        thank\w*|thx|thanx|ty|appreciat\w*|cheers
    """),
)

FR_SIGNS: tuple[Sign, ...] = (
    sign(URGENT, "pus", rf"""
        pus
        (du|de|d|le|plein de|avec du|sort du) pue?
        pue\w*|purulent\w*|suint\w*|ecoulement\w*
        ca {OOZING_FR}
        {SPOTS_FR} ~ {OOZING_FR}
        (joues?|peau|menton|front|levres?|visage|face|zone|tempes?) ~ {OOZING_FR}
        (croute\w*|liquide|coule\w*) ~ jaun\w*
        jaunatre|verdatre|blanchatre
        (du|de|d) (jaune|vert|blanc|beige) (qui |que )?(sort|coule|suinte|sortait|coulait)
        (du|de|d) (jaune|vert|blanc|beige) (dans|sous|en dessous|sur)
        (y a|ya|il y a) (du|de) (jaune|vert)
        (croute\w*|boutons?|bosses?|points?) ~~ (vert\w*|jaune\w*|dore\w*|miel)
        (croute\w*) ~~ (humide\w*|mouill\w*|gluant\w*|collant\w*|visqueu\w*|molle?s?|mou|juteu\w*)
        (gluant\w*|collant\w*|visqueu\w*|liquide|jus|mou|molle) ~ (sous|en dessous|dessous)
        (gluant\w*|visqueu\w*|gluante?s?)
        (liquide|jus|affaire|substance|stock) ~ (trouble|epais\w*|laiteu\w*|pas clair)
        (liquide|jus|affaire|substance|stock) ~ (jaune\w*|vert\w*|blanc\w*)
        sent (mauvais|pas bon|drole|bizarre|weird|le pourri|l infection|fort)
        (mauvaise|drole d) odeur
    """),
    sign(URGENT, "fever", rf"""
        f(i|e|ie|ei)?e?vr(?!ier)\w*
        fiebre|febri\w*|{TEMPERATURE}
        fait de la temp\w*
        {C_HIGH} ?(c|deg\w*|celsius)
        thermometre ~ {TEMP_HIGH}{NOT_A_UNIT}
        (j ai|je fais|je faisais|ca fait|fait|faisait|suis a) {TEMP_SAID}
        (monte\w* a|rendue? a|atteint) {TEMP_SAID}
    """),
    sign(URGENT, "flu-like symptoms", r"""
        grippe
        comme (une|la) grippe
    """),
    sign(URGENT, "chills", r"""
        frisson\w*|grelot\w*
        (je|j|chu|suis) (shake|shak\w*|trembl\w*|gel\w*|grelot\w*)
        claqu\w* des dents|(arrive|reussis|capable) (pas|plus|pu) (a |de )?(me )?rechauff\w*
        (j ai|jai) (tellement |super |vraiment |full )?froid
        sueurs?
        (chaud et froid|froid et chaud)
        sueurs? froides?
    """),
    sign(URGENT, "skin hot to the touch", rf"""
        chaud\w* ~ (au )?touch\w*
        (peau|visage|face|joues?|zone|front) ~ {HOT_FR}
        (c est|c etait|elle est|il est) ({INTENSE_FR}|tout|toute|full) (chaud\w*|brulant\w*)
        (?<!un peu )(?<!legerement )(?<!peu )brulant\w*
        (degage|degagent) ~ chaleur
        bouill\w*
    """),
    sign(URGENT, "red streaks", r"""
        (stries?|lignes?|trainees?|rayures?|traits?) rouges?
    """),
    sign(URGENT, "spreading redness", rf"""
        (rougeur\w*|rouge\w*|plaques?) ~ (s etend\w*|etend\w*|propag\w*|agrandi\w*|grossi\w*)
        (rougeur\w*|rouge\w*|plaques?) ~ (elargi\w*|augment\w*)
        s etend\w*|se propag\w*|s agrandi\w*
        ca (grossi|grandi)\w*
        (continu\w*|arret\w* pas) (de |d |a )(grossir|grandir|s etendre|s agrandir|se propager)
        (rougeur\w*|rouge\w*|plaques?) ~ {MOVES_FR}{BODY_FR}
        (rougeur\w*|rouge\w*|plaques?) ~ (gagn\w*|envahi\w*|avance\w*|progress\w*|double\w*)
        (rougeur\w*|rouge\w*|plaques?) ~ (plus (grand|large|gros)\w*|grandi\w*)
        (avance\w*|progress\w*|s etend\w*) (vers|jusqu a|jusqu au|jusque|sur|dans) {THE_FR}{BODY_FR}
        (rougeur\w*|rouge\w*|plaques?) ~~ {PAST_THE_LINE}
    """),
    sign(URGENT, "possible infection", r"""
        infect\w*|enfect\w*|infec\w*|abces
    """),
    sign(URGENT, "allergic reaction", rf"""
        urticaire|{ALLERGIC}
        plaques? qui (me |te |nous )?(demang|gratt|pique)\w*
        {WELTS_FR} ~ (qui |et )?(gonfl\w*|enfl\w*|bouf\w*|en relief|sortent|sort)
        {WELTS_FR} ~~ (sur|partout sur|dans|au|aux|jusqu aux?) (toute? )?{THE_FR}{ELSEWHERE_FR}
        {ELSEWHERE_FR} ~ (plein|couvert\w*|rempli\w*) (de|d) {WELTS_FR}
        {WELTS_FR}( [a-z]+){{0,4}}( ,)? {AND_EVEN_FR}{THE_FR}{ELSEWHERE_FR}
    """),
    sign(URGENT, "swelling of the lips", rf"""
        (levres?|bouche) ~ {SWOLLEN_FR}
        {SWOLLEN_FR} ~ (des |aux |de la |la |les |mes )?(levres?|bouche)
        levres? ~ ({SIZE_FR}|{SIZE_EN})
        (grosses?|enormes?) levres?
        levres? ~~ (injection\w*|injecte\w*|canard|botox|filler\w*|piqure d abeille)
        {AFTER_A_SWELLING_FR}(levres?|bouche) (aussi|itou|pareil|avec)
        {SWOLLEN_FR}( [a-z]+){{0,3}}( ,)? {STRESSED} ~ (levres?|bouche)
    """),
    sign(URGENT, "swelling of the eyes", rf"""
        {EYES_FR} ~ ({SWOLLEN_FR_WORDS}|ferme\w*)
        {SWOLLEN_FR} ~ {EYES_FR}
        (peux|peut|arrive) (pas|plus) (a )?ouvrir ~ {EYES_FR}
        {EYES_FR} ~ ({SIZE_FR}|{SIZE_EN})
        {EYES_FR} ~~ {CANNOT_OPEN_FR}
        {SWOLLEN_FR}( [a-z]+){{0,3}}( ,)? {STRESSED} ~ {EYES_FR}
        ouvr\w* (pas|plus|a peine) ((l|les|le|mon|ma|mes) )?{EYES_FR}
    """),
    sign(URGENT, "swelling of the throat", rf"""
        (gorge|langue) ~ {FEELS_LIKE_FR}({SWOLLEN_FR_WORDS}|{TIGHT_FR}|ferm\w*|epais\w*)
        (gorge|langue) ~ {FEELS_LIKE_FR}(grosse|lourde|trop grosse)
        (gorge|langue) ~ (picot\w*|pique\w*|fourmi\w*|engourdi\w*|gratt\w*|demang\w*)
        {SWOLLEN_FR} ~ (gorge|langue)
        (mal|difficult\w*|peine|misere|douleur\w*) ~ (a |pour |en |quand j |quand je )?aval\w*
        (peux|peut|arrive|capable|reussi\w*) (pas|plus|presque pas|a peine) (a |d |de )?aval\w*
        gorge ~~ aval\w*
        voix ~ (rauque|enrou\w*|chang\w*|bizarre|etouf\w*)
        enrou\w*|rauque
    """),
    sign(URGENT, "trouble breathing", rf"""
        (difficult\w*|mal|misere|peine|probleme\w*|trouble\w*) ~ (a |de )?respir\w*
        (respire|respirer|respirons) (mal|difficilement)
        (pas|plus) capable de respirer
        (peux|peut|arrive) (pas|plus) (a )?respirer
        essouf\w*
        souf\w* court
        etouf\w*
        (souffle|respiration) ~ (court|sifflant\w*)
        siffl\w* ~ (quand |lorsque |en |a chaque )?(je |j |on )?(respir\w*|inspir\w*|expir\w*)
        (respir\w*|souffle|poitrine|bronches) ~ siffl\w*
        poitrine ~ ({TIGHT_FR}|oppress\w*|lourd\w*|compress\w*)
        manqu\w* d air
        cherch\w* (mon|son) (air|souffle)
        (peux|peut|arrive) (pas|plus) (a )?(reprendre|retrouver) (mon|son) (souffle|air)
        (misere|difficult\w*|mal|peine) a (reprendre|retrouver|prendre) (mon|son) (souffle|air)
        oppress\w*
    """),
    sign(URGENT, "severe pain", rf"""
        douleur\w* ~ (intense\w*|atroce\w*|insupportable\w*|terrible\w*|fort\w*|enorme\w*)
        douleur\w* ~ horrible\w*
        (forte|grosse|intense|terrible|grande|atroce|horrible)s? douleur\w*
        {INTENSE_FR} (douloureu\w*|mal)
        mal en {SWEAR_FR}
        insupportabl\w*|atroce\w*|intenable\w*|insoutenable\w*|epouvantable\w*
        (endure|endurer|tough\w*|tof\w*) (pas|plus|pu) ~ (mal|douleur\w*)
        {PAIN_FR} ~ {HIGH_SCORE}{OUT_OF_10}
        {PAIN_FR} {SCORE_LEAD}{SEVERE_SCORE}
        {HIGH_SCORE}{OUT_OF_10} ~ {PAIN_FR}
        (fait|ai) (si|tellement|trop) mal
        (douleur\w*|mal) ~ (fait|faire|me fait) pleurer|pleur\w* (de|tellement) (douleur|mal)
        tellement (que )?(ca |j ai )?(me )?(fait )?mal
        (mal|douleur\w*|douloureu\w*) ~~ (pas capable de|peux pas|peut pas|arrive pas a) dormir
        (mal|douleur\w*|elanc\w*|lancin\w*) ~ {WAKES_ME_FR}
    """),
    sign(URGENT, "pain getting worse", r"""
        (douleur\w*|douloureu\w*) ~ (empir\w*|pire|augment\w*|aggrav\w*|intensif\w*|monte\w*)
        (douleur\w*|douloureu\w*) ~ de plus en plus
        (de plus en plus|encore plus|toujours plus) (mal|douloureu\w*|de douleur)
        (empir\w*|pire|aggrav\w*) ~ (douleur\w*|douloureu\w*)
        (mal|douleur\w*|douloureu\w*) ~~ (d heure en heure|a chaque heure|de minute en minute)
        (mal|douleur\w*|douloureu\w*) ~~ d une heure a l autre
    """),
    sign(URGENT, "pain not eased by painkillers", rf"""
        {PAINKILLERS} ~~ {NOT_WORKING_FR} (plus |pas |pu |absolument |vraiment )?(rien|pas|plus|pu)
        {PAINKILLERS} ~~ (me )?(soulag\w*|aide\w*) (pas|plus|pu)
        (rien|aucun\w*) ~ (soulag\w*|aide|marche|fonctionne|fait effet|calme) ~~ {PAIN_FR}
        {PAINKILLERS} ~~ (encore|toujours) ~ ({PAIN_FR}|elanc\w*|lancin\w*)
        (malgre|meme avec|meme apres) (les |mes |l |des )?{PAINKILLERS}
    """),
    sign(URGENT, "bleeding that does not stop", rf"""
        saign\w* ~~ (encore|toujours|beaucoup|sans arret|abondam\w*|enormement|continu\w*)
        saign\w* ~~ (ne )?(s )?arret\w* pas
        (continu\w*|arret\w* pas|cesse pas) (de|a) (saign\w*|{RUNNING_RED_FR})
        (toujours|encore|sans arret) ~ {RUNNING_RED_FR}
        saign\w* ~ (depuis|pendant) {LONG_WHILE}
        {HOLDING} ~ {BLOTTING} ~~ (depuis|pendant) {LONG_WHILE}
        (ca fait|depuis|pendant) {LONG_WHILE} ~~ {HOLDING} ~ {BLOTTING}
        (beaucoup|plein) de sang
        pisse le sang
    """),
    sign(URGENT, "blisters", r"""
        cloques?|ampoules?|phlyct\w*|vesicul\w*|bulles?
        remplie?s? (d eau|de liquide|de lymphe)
        (boutons?|bosses?|poches?|vessies?) (d eau|de liquide)
    """),
    sign(URGENT, "vision changes", rf"""
        (vue|vision) ~ (trouble|brouill\w*|flou\w*|double|bizarre|embrouill\w*|chang\w*)
        (vue|vision) ~ (baiss\w*|noir\w*)
        vois (flou|trouble|double|{TACHES_SEEN_FR}|des etoiles|mal|plus)
        (vois|voit|voient|voyais|voyait|voir) ~ ({BLURRED_FR}|trouble|double|des etoiles)
        (vois|voit|voient|voyais|voyait|voir) ~ {TACHES_SEEN_FR}
        (vois|voit|voient|voyais|voyait|voir) (des |les )?{SEEN_FR}
        ({SEEN_FR}|mouches volantes|corps flottants|taches|points|ombres?) ~ {IN_SIGHT_FR}
        flott\w* ~ {IN_SIGHT_FR}
        mouches volantes|corps flottants
        (points|taches|mouches|formes|filaments|ombres?) ~ (qui )?flott\w*
        (voit|voyais|voyait) mal
        (vois|voit|voyais|voyait) (pas|plus|pu) (tres |tellement |trop )?(bien|clair\w*|net\w*)
        (vois|voit|voyais|voyait) (pas|plus|pu) comme il faut
        (misere|mal|difficult\w*|peine|trouble\w*) a voir
        {BLURRED_FR} ~ (de|d|dans|a|avec) ((l|mon|ma|mes|les|le|un|une) )?{EYES_FR}
        {EYES_FR} ~ {BLURRED_FR}
        tout ~ ({BLURRED_FR}|en double)
        (images?|objets?) (en )?doubles?
    """),
    sign(URGENT, "eye pain", rf"""
        mal (a|aux|dans) (l |les )?(oeil|yeux)
        (oeil|yeux) ~ (me fait|me font|fait|font) mal
        douleur (a|aux|dans|autour de) (l |les )?(oeil|yeux)
        {EYES_FR} ~ (brul\w*|pique\w*|douloureu\w*)
    """),
    sign(CONCERN, "worried", r"""
        inqui\w*|peur|angoiss\w*|nerveu\w*|stress\w*|panique\w*
        (pas|plus) (l air )?normal\w*
        anormal\w*
        pas rassur\w*
        bizarre
        quelque chose (qui )?(cloche|va pas)
        capot\w*
        flipp(e|es|ent|ais|ait|er)
    """),
    sign(CONCERN, "getting worse", r"""
        empir\w*|pire|aggrav\w*
        plus (rouge|enfl\w*|gonfl\w*|douloureu\w*|irrit\w*) (qu hier|que hier|que ce matin|qu avant)
        (pas|plus) mieux
        s ameliore pas
    """),
    sign(CONCERN, "worsening breakout", rf"""
        (de )?plus en plus de {PIMPLES_FR}
        {PIMPLES_FR_MORE} de (nouveaux )?{PIMPLES_FR}
        nouveaux {PIMPLES_FR}
        (grosse|mauvaise|terrible|enorme|grave) (poussee|eruption) (de boutons|d acne)?
        {PIMPLES_FR} ~ (empir\w*|pire|multipli\w*|partout|augment\w*|grossi\w*|grandi\w*)
    """),
    sign(CONCERN, "intense itching", rf"""
        (demang\w*|gratt\w*|pique\w*) ~ (beaucoup|enormement|terriblement|intense\w*|sans arret)
        (demang\w*|gratt\w*|pique\w*) ~ (trop|tellement|en masse|vraiment)
        {INTENSE_FR} ~ (demang\w*|gratt\w*)
        demangeaisons? ~ (intense|terrible|insupportable|atroce|horrible|enorme|incroyable)\w*
        (grosses?|fortes?|terribles?|horribles?|intenses?|enormes?) demangeaisons?
        (demang\w*|gratt\w*|pique\w*) ~ (tout le temps|constamment|non ?stop|jour et nuit|a mort)
        gratt\w* ~ jusqu au sang
        (demang\w*|gratt\w*|pique\w*) ~ (en {SWEAR_FR}|comme (un |une )?(fou|folle|malade))
        (demang\w*|gratt\w*) ~~ (pas capable de|peux pas|peut pas|arrive pas a) dormir
        (peux|peut) (pas|plus) (m )?(arreter|empecher) de (me )?gratt\w*
        (demang\w*|gratt\w*|pique\w*|itch\w*) ~ {WAKES_ME_FR}
    """),
    sign(CONCERN, "painful cysts", r"""
        kystes?( douloureu\w*)?
        nodul\w*
        (gros|grosse)s? (boutons?|bosses?) ~ douloureu\w*
        boutons? douloureu\w*
        boules? sous la peau
        furoncl\w*
        (bosses?|boules?|grosseurs?|noeuds?|grains?) ~ (dure?s?|ferme?s?|durci\w*)
        (dure?s?|ferme?s?) ~ (bosses?|boules?|grosseurs?)
        boule\w*|grosseurs?|noeuds? (sous|dans)
    """),
    sign(CONCERN, "burning or stinging", r"""
        brul\w*|picot\w*|chauff\w*|pique
        en feu
    """),
    sign(CONCERN, "cold sore", r"""
        feux? sauvages?
        herpes
    """),
    sign(CONCERN, "dark patches", rf"""
        (taches?|plaques?|marques?|zones?|cicatrices?) (plus |tres |un peu )?{DARK_FR}
        (peau|visage|joues?|front|menton) ~ (fonc\w*|bruni\w*|noirci\w*|assombri\w*)
        (marques?|zones?|plaques?|cicatrices?) ~ (fonc\w*|bruni\w*|noirci\w*|assombri\w*)
        taches?
        hyper ?pigment\w*
        pigment\w*|melasma
        (peau|visage|face|joues?|front|menton|levres?|bouche|contour|zone) ~~ fonc(e|ent|ee|ees|es)
        (s )?assombri\w*|noirci\w*
        plus (fonce|brun|sombre|noir|gris)\w* (que|qu)
        comme (une |un )?ombre
    """),
    sign(URGENT, "mottled or dusky skin", rf"""
        marbr\w*|livedo\w*|bleute\w*|bleuatre\w*|violac\w*|grisatre\w*|cyanos\w*|livide\w*
        dentelle|en (filet|reseau|toile)
        (taches?|plaques?|marques?|zones?) (mauves?|violet\w*|bleue?s?|grise?s?)
        {TURNS_FR}({PALE_FR}|noir\w*|foncee?s?)
        {SKIN_SPOT_FR} ~ (est |sont |a l air |semble )?{QUITE_FR}{PALE_FR}{NOT_A_BRUISE_FR}
        {COLD_FR} (et|pis) {PALE_FR}|{PALE_FR} (et|pis) {COLD_FR}
        blanchi\w*|necros\w*
    """),
    sign(CONCERN, "picking", rf"""
        gratt\w* ~ (croute\w*|boutons?|peaux?|gales?)
        (j ai|je les ai|je l ai) gratt\w*
        (pete|perce|presse|arrache|pince)\w* ~ (boutons?|croute\w*|peau)
        {PRESS_FR} (sur|dessus) ~ (boutons?|croute\w*|points?|bosses?)
        (j ai|je l ai|je les ai) (pete|perce|presse|arrache|pince)\w*
        (me suis|m etais|me suis mise? a) gratt\w*
        je me gratt\w*{NOT_THE_SKIN}
        (jou\w*|tripot\w*|touch\w*|taponn\w*|gos\w*) (dans|avec|a|aux) {SCABS_FR}
    """),
    sign(CONCERN, "swelling not going down", rf"""
        (toujours|encore) {SWOLLEN_FR}
        (enflure|gonflement|oedeme|{SWOLLEN_FR_WORDS}) ~ (ne )?{NOT_GOING_DOWN_FR}
    """),
    sign(CONCERN, "swelling", rf"""
        {SWOLLEN_FR_WORDS}
    """),
    sign(CONCERN, "pain", r"""
        douleur\w*|douloureu\w*
        (ai|fait|fais|font|ca fait) mal
        (j ai|ca) mal
        lancin\w*|elanc\w*
    """),
    sign(CONCERN, "bleeding", rf"""
        saign\w*|sang
        {RUNNING_RED_FR}
        {HOLDING} ~ {BLOTTING}
    """),
    sign(CONCERN, "rash", r"""
        eruption\w*
        plaques? rouges?
        rash
    """),
    sign(CONCERN, "intense redness", rf"""
        {INTENSE_FR} rouge\w*
        rouge (vif|ecarlate|feu|tomate|homard)
    """),
    sign(CONCERN, "asks to be called", r"""
        (appelez|appeler|rappeler|rappelez|appelle|rappelle)(z)? moi
        (m|me) (appel|rappel)\w*
        (voir|parler a) (un|une|le|la) (medecin|docteur|infirmiere)
    """),
    sign(URGENT, "feeling unwell", rf"""
        (sens|sent|sentais|file|filais|filait) {VERY_FR}{UNWELL_FR}
        (file|filais|filait) pas
        (suis|chu|sus|etais|tombee?s?|rendue?s?|etre|devenue?) {VERY_FR}{RUN_DOWN_FR}
        malade comme
        nause\w*|vomi\w*|renvoy\w*|etourdi\w*|vertige\w*|tournis
        mal au coeur|(leve|levait|lever) le coeur|haut le coeur
        evanoui\w*|(perdre|perdu) connaissance|malaise|perdu l equilibre
        failli (tomber|perdre|m evanouir|sans connaissance)|(garde|garder) (rien|pas rien|plus rien)
        (tomber|tombee?) dans les pommes
        courbatur\w*|mal partout|(douleur\w*|mal) (dans|a) tout le corps
        (mal|douleur\w*) aux (muscles|articulations|os)
        (camion|train|autobus|char|tracteur|bus) ~~ (pass\w*|rouler|roule) (dessus|sur)
        (guenille|lavette|loque|zombie)
        faiblesse|(aucune|pas d|zero) energie
        palpitation\w*|(coeur) ~ (bat|debat|palpit|vite|fort)\w*
    """),
    sign(CONCERN, "eye irritation", rf"""
        {EYES_FR} ~ {EYE_IRRITATED_FR}
        (sable|poussiere) dans (les |mes |l )?(yeux|oeil)
        (secheresse|irritation) (des |de l |aux )?(yeux|oeil)
        (la )?lumiere ~ (derange|fait mal|agress\w*) ~ yeux
    """),
    sign(CONCERN, "drooping or uneven", rf"""
        (paupiere|sourcil|levre|coin de la bouche|coin|oeil|joue)s? ~ tomb\w*
        tomb\w* (la |ma |le |mon )?(paupiere|sourcil)|croche|asymetri\w*
        pas (egal|pareil)\w* des deux cotes|un cote (est )?(plus )?(bas|haut|different|gele)
        plus (haute?|basse?|grosse?|petite?|enfle\w*|rouge|fonce\w*|lourde?|tombante?)s? que l autre
        (peux|peut|capable|arrive) (pas|plus|pu) (a )?{MOVE_FACE_FR} ~ {FACE_PARTS_FR}
        (front|sourcils?|paupieres?) ~ (lourde?s?|gele\w*|fige\w*|bloque\w*)
        paralys\w*
        (sourcils?|paupieres?|coin|sourire|oeil) ~ plus (bas|haut|basse|haute|tombante?)
    """),
    sign(CONCERN, "other symptom", rf"""
        mal (de|a|a la) tete|mal de bloc|migraine\w*|cephal\w*
        tete ~ (fait mal|elanc\w*|cogn\w*|martel\w*|veut eclater)
        saign\w* du nez|saignement\w* de nez|nez ~ saign\w*
        a vif|plaie\w*|crevass\w*|fissur\w*|gerc\w*|fendill\w*
        (peau|levres?|coins?|menton|bouche|nez|joues?|visage|face) ~ craqu\w*
        (peau|croute) ~ (arrache\w*|dechir\w*)
        (saign\w*|sang|a vif) ~ (en dessous|dessous|sous la peau)
        engourdi\w*|fourmi\w*
        (sens|sent) (plus|pu|pas) ((ma|mon|mes|la|le) )?{FACE_FR}
        ganglions?
        gout (metallique|bizarre|de metal)|(goute|sens) (plus|pu|pas) rien
        tic|spasm\w*|crampe\w*|(machoire|cou) ~ (raide|bloqu\w*|craqu\w*)
        (cheveux|poils) ~ (tomb\w*|perd\w*)|perte de cheveux
        (j ai|ca a laisse|ca laisse|il reste|il me reste) (une |des )?cicatrices?
        (oreilles?) ~ (sill\w*|bouch\w*|bourdonn\w*)|acouphene\w*
        (bosse|boule|zone|ligne|grain)s? (dure|ferme)s?|grumeau\w*
    """),
    sign(ROUTINE, "mild redness", r"""
        (legere\w*|leger\w*|un peu|peu|petite?s?) (de )?(rougeur\w*|rouge\w*)
        rougeur\w*|rouge\w*|rosee?s?
        coup de soleil
        irrit\w*
    """),
    sign(ROUTINE, "small pimples", rf"""
        (petit\w*|quelques|leger\w*|un peu de) {PIMPLES_FR}
        {PIMPLES_FR}
        micro ?kystes?
        grains? de milium
    """),
    sign(ROUTINE, "mild swelling", rf"""
        (un peu|legerement|peu|leger\w*) {SWOLLEN_FR}
        (legere|petite|un peu d) (enflure|gonflement|oedeme)
    """),
    sign(ROUTINE, "mild discomfort", rf"""
        (un peu|legerement|peu|leger\w*|petite?) (de )?(douleur\w*|mal|douloureu\w*|inconfort)
        sensible\w*|inconfort\w*|endolori\w*
        {PAIN_FR} ~ {LOW_SCORE}{OUT_OF_10}
        {PAIN_FR} {SCORE_LEAD}{MILD_SCORE}
        (douleur\w*|mal) ~ (tolerable|supportable)
        (chauff\w*|brul\w*|picot\w*|pique) (un peu|legerement|un brin|juste un peu|un ti peu)
        (chauff\w*|brul\w*|chaud\w*) ~ comme ~ coup de soleil
    """),
    sign(ROUTINE, "bruising", r"""
        ecchymose\w*|(un|des|mon|mes|le|les|petit|petits|gros) bleus?
    """),
    sign(ROUTINE, "minor bleeding", r"""
        (un peu|peu|quelques gouttes|petit\w*|goutte) (de )?(sang|saign\w*)
        saign\w* (un )?(tout )?(petit )?peu
    """),
    sign(ROUTINE, "mild itching", r"""
        demang\w*|gratt\w*|pique
    """),
    sign(ROUTINE, "tightness", rf"""
        tir\w*|tiraill\w*|{TIGHT_FR}
    """),
    sign(ROUTINE, "dryness", r"""
        sec|secs|seche\w*|secheresse|desseche\w*
    """),
    sign(ROUTINE, "peeling", r"""
        pel\w*|desquam\w*|ecaill\w*|croute\w*
        lev\w* en peau\w*
    """),
    sign(ROUTINE, "asks about picking", rf"""
        (je peux|peux je|puis je|est ce que je peux|je pourrais) (tu )?{PICK_FR}
        on peut (tu )?{PICK_FR}
    """),
    sign(ROUTINE, "known allergy", rf"""
        {ALLERGIC_TO_OTHER}
    """),
    sign(ROUTINE, "about the next session", rf"""
        (nerveu\w*|stress\w*|inquiet\w*|angoiss\w*|peur|hate|excite\w*) (pour|a) {NEXT_SESSION_FR}
    """),
    sign(ROUTINE, "thanks", r"""
        merci\w*|remerci\w*|apprecie\w*
    """),
)
# fmt: on

# "If I get a fever", "si jamais ça enfle", "in case": what might happen is no report. Not after
# "not sure", "I wonder" (they report a doubt) nor "is it normal if" (it asks about what is there).
HYPOTHETICAL = (
    r"(?<!sure )(?<!know )(?<!wonder )(?<!wondering )(?<!tell )(?<!sais )(?<!certain )(?<!sur )"
    r"(?<!normal )(?<!ok )(?<!okay )(?<!fine )(?<!bad )(?<!grave )(?<!even )(?<!as )(?<!meme )"
    # Subject and verb are looked at, not taken: "if my lips swell" leaves them to be read.
    r"((if|si|in case|au cas ou|au cas|what if|et si)( jamais| ever)?(?= "
    r"(i|j|je|you|tu|vous|on|it|ca|anything|something|quelque chose|(my|the|mes|ma|mon|les|la|le) "
    r"[a-z]+)( ever| jamais)? ([a-z]+s|get|gets|have|has|develop\w*|notice\w*|see|sees|start\w*|"
    r"begin\w*|"
    r"become\w*|turn\w*|end up|happen\w*|ai|a|fais|fait|developpe\w*|remarque\w*|vois|voit|"
    r"commence\w*|devien\w*|aurais|avais|faisais|enfl\w*|gonfl\w*|swel\w*|spread\w*|s etend\w*|"
    r"coul\w*|saign\w*|bleed\w*|ooz\w*)\b)|(if|si|in case) (there|y) (is|s|are|a)|si jamais|"
    r"au cas ou|in case|if ever|what if|just in case|"
    # "How do I know if it's infected?" asks for the signs, it does not report one.
    r"how (do|would|will|can|could|should) (i|you|we) (know|tell)( if| whether)?|"
    r"comment (savoir|je (peux|vais) savoir|on sait)( si)?)"
)
# A negation cue negates the signs after it in its clause. Lookaheads keep phrases that only
# look negative ("not sure", "pas mal de boutons", "no idea") from hiding a sign.
NEGATIONS: tuple[str, ...] = (
    r"no(?! (idea|clue|doubt|way|wonder|matter|change|improv\w*|better|sign of improv\w*)\b)",
    r"not(?! (really |quite |even |too )?(sure|certain|know\w*|expect\w*|understand|realiz\w*|"
    r"remember|tell|normal|usual|only|just|stop\w*|help|resist|improv\w*|better|get\w* better|"
    # "Not going down" says it stays; "not going down my neck" says it does not spread.
    r"go\w* (away|down)(?! (my|the|her|his|to|into|onto|toward\w*|past)\b)|gone|heal\w*|help\w*|"
    r"work\w*|clear\w*)\b)",
    r"never(?! (had|seen|experienced|felt|been) (this|such|so|that|anything like)\b)",
    r"without",
    r"none",
    r"nothing(?! (helps?|works?|is working|has helped)\b)",
    r"neither",
    r"nor",
    r"free of",
    r"zero",
    r"(?<!not )stopped",
    r"non",
    # "J'arrête pas de me gratter" says it goes on: no negation.
    r"(?<!arrete )(?<!arretes )(?<!arretent )(?<!arretait )(?<!arretais )(?<!cesse )"
    r"pas(?! (mal|sur\w*|certain\w*|normal\w*|juste|seulement|tres sur\w*|mieux|encore parti\w*|"
    r"arret\w*|capable|(pu|pus|pouvais|peux) (m |me )?(empecher|retenir))\b)",
    r"aucun\w*",
    r"jamais(?! (vu|eu) (ca|autant|une telle|un tel|pareil)\b)",
    r"sans",
    r"ni",
    r"rien(?! (n y fait|ne (marche|fonctionne|aide))\b)",
    r"pantoute",
    r"(?<!pas )arrete de",
    HYPOTHETICAL,
    r"(?<!du )(?<!de )(?<!le )pu(?= de | d )",
    # "ne"/"n'" counts only with its partner later in the clause: "n'y a que du pus" is no negation.
    r"ne?(?! (arret|cess)\w* (pas|plus) (de|d)\b)"
    r"(?= ([a-z]+ ){0,4}(pas|plus|jamais|rien|aucun\w*|ni|point|guere)\b)",
)

# Said after a sign: it is gone. An easing sign ("going down") clears concerns, not urgent signs.
_NOT_BEFORE = r"(?<!not )(?<!never )(?<!pas )(?<!not yet )(?<!not getting )(?<!no )"
GONE_AFTER = (
    _NOT_BEFORE + r"((completely|totally|all|almost|mostly|pretty much|basically|already|now|"
    r"completement|totalement|toute?s?|deja|presque|maintenant|finalement) ){0,4}"
    r"(gone|went away|disappeared|stopped|cleared( up)?|resolved|healed|subsided|"
    r"free|is over|broke|no more|no longer there|pantoute|du tout(?! normal)|parti\w*|disparu\w*|"
    # "passé(e)(s)" squeezed: "passee?s?" would also read the negation "pas" as "gone".
    r"fini\w*|termine\w*|arrete\w*|gueri\w*|resorbe\w*|envole\w*|pases?|"
    # Then, not now: what the session itself caused is expected.
    r"during (the |my )?(session|treatment|procedure)|pendant (la seance|le traitement))"
    r"(?! (pas|plus|yet)\b)"
)
EASING_AFTER = (
    _NOT_BEFORE + r"((went|gone|going|come|came|coming|is|are|s) down|better|improv\w*|settl\w*|"
    r"calm\w*|fad\w*|lessen\w*|reduc\w*|diminu\w*|desenfl\w*|degonfl\w*|baiss\w*|mieux|amelior\w*|"
    r"descend\w*|"
    r"s estomp\w*|attenu\w*)(?! (pas|plus)\b)"
)

# A quieter sign said in the past ("it was swollen the first day") that a later clause says is
# settled ("but now it's fine") is over. Urgent signs stay: unsure means louder.
PAST_MARKS = (
    r"was|were|had|used to|at first|initially|ai eu|a eu|ca a(?! l air)|ca m a|"
    # The French imperfect: "ça chauffait", "c'était", "j'avais".
    r"(?!((par|satis|re)?fait|lait|(ex|por|re)?trait|souhait)\b)[a-z]{2,}(ait|aient)|avais|etais|"
    r"au debut|(?<!since )(?<!depuis )(hier|yesterday|last night|hier soir)|"
    r"(the |on )?first (day|night|days|few days|couple of days)|(on )?day (1|one)|"
    r"le premier (jour|soir)|la premiere (nuit|journee)|les premiers jours|(au )?jour (1|un)"
)
SETTLED = (
    r"(it s|its|it is|it has been|it s been|its been|that s|thats|c est|ca|ca va|everything s|"
    r"everything is|everything|all|tout est|tout va|tout|mine s|mine is|i m|im|i am|je vais|moi|"
    r"moi ca va|je suis|chu)( now| la| maintenant| totally| all| completely| mostly| pretty much|"
    r" super| very| really| so| doing| tres| vraiment| ben| full){0,4} "
    r"(fine|ok|okay|good|great|gone|"
    r"correct\w*|bien|beau|belle|"
    r"parti\w*|fini|pase\w*|disparu\w*|over|resolved|cleared up|back to normal|"
    r"revenue? a la normale)|"
    # Said after a comma without a subject: "a bit of a headache after the treatment, gone now".
    r", ((now|all|completely|totally|mostly|pretty much|toute?|maintenant) ){0,4}"
    r"(gone|fine|ok|better|"
    r"resolved|cleared up|parti\w*|fini|pase\w*)"
)

# Where a negation's reach ends: punctuation (already "|" or "?"), contrast, a new statement.
# The words that start a new statement: a clause break, but not one "it's gone" stops at.
SUBJECTS = frozenset(
    {"i", "je", "j", "it", "il", "elle", "ca", "my", "mon", "ma", "mes", "she", "he", "we", "they"}
    | {"ils", "elles", "there", "ya"}
)
SUBJECT_BREAKS = SUBJECTS | {"y a"}
CLAUSE_BREAKS = (
    r"\||\?|;|,",
    r"but|however|though|although|except|yet|mais|cependant|pourtant|toutefois|sauf|par contre|"
    r"and now|and then|et maintenant|et la|now|maintenant|then|puis|pis|ensuite|if|whether|si|"
    r"because|since|car|parce que|donc|alors|while|whereas|just|juste|only|seulement",
    # A new statement ("no I have a fever") unless the cue is about it ("don't think it's").
    r"(?<!think )(?<!believe )(?<!like )(?<!that )(?<!guess )(?<!pense )(?<!crois )(?<!que )"
    # Nor the subject of an "if": "si je fais de la fièvre" is one clause ("aussi je" is two).
    r"(?<! if )(?<!^if )(?<! si )(?<!^si )(?<! jamais )(?<! ever )(?<! case )(?<! cas ou )"
    rf"(?<!qu )(?<!n )({'|'.join(sorted(SUBJECTS))}|y a)",
)
# Where a negation's reach ends only for an urgent sign: "no fever and pus everywhere" reports
# pus. Unsure means louder; "no swelling and redness" still negates both quieter signs.
URGENT_SCOPE_BREAKS = r"and|et"
# Words a `~` gap may not cross: it would carry a sign past a negation or a contrast.
GAP_STOPS = (
    r"no|not|never|none|nothing|without|nor|pas|plus|jamais|aucun\w*|sans|ni|rien|ne|n|pu|but|"
    r"however|though|although|except|yet|mais|cependant|pourtant|toutefois|sauf|i|je|j|it|il|"
    r"elle|ca"
)
# `~~` (up to eight words) may cross "and", "it", "je": only negations and contrasts stop it.
WIDE_GAP_STOPS = (
    r"no|none|nothing|without|nor|pas|jamais|aucun\w*|sans|rien|but|however|though|although|"
    r"except|yet|mais|cependant|pourtant|toutefois|sauf"
)

# Long enough that an expected effect is no longer expected.
PAST_A_WEEK = (
    r"(?<!in )(?<!within )(?<!dans )(?<!d ici )(?<!under )(?<!less than )(?<!moins d )"
    r"((a|one|1|over a|more than a|almost a|nearly a|about a|une|plus d une|presque une) (ful )?"
    r"(week|semaine)|(\d+|two|three|four|several|few|deux|trois|quatre|plusieurs|quelques) "
    r"(weeks|semaines|wks)|([7-9]|[1-9]\d|seven|eight|nine|ten|eleven|twelve|fourteen|sept|huit|"
    r"neuf|dix|onze|douze|quatorze|quinze) (days|jours|jrs)|(day|jour|jr) ([7-9]|[1-9]\d)|"
    r"(week|semaine|wk) ([2-9]|two|three|four|deux|trois|quatre)|"
    r"([2-9](nd|rd|th|e|eme|ieme)|second|third|fourth|deuxieme|troisieme|quatrieme) (week|semaine)|"
    r"(since|depuis) (last|la semaine))"
)
PERSISTING: dict[str, str] = {
    "mild redness": "redness persisting past a week",
    "intense redness": "redness persisting past a week",
    "small pimples": "pimples persisting past a week",
    "swelling": "swelling not going down",
    "mild swelling": "swelling not going down",
    "mild itching": "itching persisting past a week",
    "mild discomfort": "pain persisting past a week",
    "pain": "pain persisting past a week",
    "peeling": "peeling persisting past a week",
    "dryness": "dryness persisting past a week",
}
# Said to stay ("still there", "part pas") or to come back with every use of a product: a quieter
# sign that is for staff to look at, whatever the day.
LINGERING: dict[str, str] = dict.fromkeys(
    [*PERSISTING, "tightness", "bruising", "burning or stinging"], "not going away"
)
REACTING: dict[str, str] = dict.fromkeys(LINGERING, "reaction to a product")
PRODUCT_REACTION = rf"{EVERY_TIME} ~~ {APPLYING}|{APPLYING} ~~ {EVERY_TIME}"

# Another person's symptoms: "my daughter has a fever", "ma mère avait fait une réaction". Their
# reach ends at the sentence, at the patient ("I", "moi", "my"), at a contrast or a reason.
_OTHERS_EN = (
    r"daughters?|sons?|kids?|child|children|baby|babies|toddler|husband|hubby|wife|partner|"
    r"boyfriend|girlfriend|bf|gf|fiance\w*|mom|mum|mother|dad|father|sister|sis|brother|friends?|"
    r"bestie|best friend|coworker|co worker|colleague|cousin|aunt|uncle|niece|nephew|grandma|"
    r"grandmother|grandpa|grandfather|roommate|neighbou?r|family|boss|client|cat|dog|puppy|kitten|"
    r"pet"
)
_OTHERS_FR = (
    r"filles?|fils|gars|garcon|enfants?|bebe|chum|blonde|mari|femme|conjoint\w*|copain|copine|"
    r"mere|maman|pere|papa|soeur|frere|ami|amie|amis|amies|chums|collegue|cousin\w*|tante|oncle|"
    r"niece|neveu|grand mere|grand pere|voisin\w*|coloc\w*|belle soeur|beau frere|patronne?|"
    r"famille|voisine|chat|chatte|chien|chienne|minou|pitou"
)
OTHER_PERSON = (
    # Not "they": "they're still there" is said of pimples.
    rf"(((my|our|a|his|her|their) (\w+ )?({_OTHERS_EN}))|she|he|(ma|mon|mes|notre|nos|une|un) "
    rf"(petite? |grande? |meilleure? )?({_OTHERS_FR}))"
    # Up to two words between ("my sister also had"), never the patient or a reported speech.
    r"( (?!(i|im|je|j|me|my|moi|says?|said|thinks?|thought|told|tells|dit|disait|pense|trouve\w*|"
    r"croit|notic\w*|saw|sees|remarqu\w*)\b)[a-z0-9]+){0,2}? "
    r"(has|had|have|got|gets|caught|catches|broke|breaks|came|comes|developed|develops|ended|"
    r"is|was|were|are|reacted|a|avait|avaient|ont|fait|faisait|est|etait|sont|attrap\w*|pogn\w*|"
    r"developpe\w*|reagi\w*)"
)
OTHER_PERSON_ENDS = (
    r"\||\?|,|i|me|my|mine|myself|im|je|j|moi|mon|ma|mes|m|but|mais|though|however|par contre|"
    r"pourtant|about|because|since|parce|que|qu|now|maintenant|today|aujourd hui|too|also|as well|"
    r"aussi|pareil|same|comme moi|like me"
)
# "Too", "aussi": the patient has it as well.
OTHER_PERSON_TOO = r"too|also|as well|aussi|pareil|same|comme moi|like me|moi aussi"

# Long over, or before the treatment: "a fever the week before the treatment but long gone".
LONG_PAST = (
    r"(?<!since )(?<!depuis )(?<!ever )"
    r"((before|prior to) (the|my|our|your) (treatment|session|procedure|peel|laser|appointment|"
    r"appt|filler|injections?|botox|microneedling|facial|visit)|(the|a) (week|day|month|few days|"
    r"couple of days|night) before|(years?|months?) ago|a (long|while) (time )?ago|long gone|"
    r"long time ago|last (year|month|summer|winter|spring|fall|autumn)|ages ago|"
    r"avant (le|la|mon|ma|les|mes|l|votre) (traitement|seance|peeling|peel|laser|rendez vous|rdv|"
    r"injection|filler|botox|soin|visite|microneedling)|(il y a|y a|ya) ((des|plusieurs|quelques|"
    r"deux|trois|\d+) )?(annees|ans|mois)|l an (passe|dernier)|l annee (passee|derniere)|"
    r"le mois (passe|dernier)|depuis (longtemps|des mois)|la semaine (avant|d avant))"
)
# What is said after these is now again: "years ago, and now my lips are swollen".
NOW = r"now|maintenant|today|aujourd hui|tonight|ce soir|this morning|ce matin|currently|since"

# Said of looks or feelings, fire, burning and shivers are no symptom: "my skin is on fire, I look
# amazing", "j'ai des frissons tellement c'est beau". Only these signs are read that way.
FIGURATIVE_SIGNS = frozenset(
    {"burning or stinging", "chills", "skin hot to the touch", "feeling unwell", "worried"}
)
PRAISE = (
    r"amazing|gorgeous|beautiful|stunning|incredible|fantastic|awesome|obsessed|in love|"
    r"love (it|my|the|this|how|them|these)|glow\w*|perfect|flawless|radiant|so good|wow|"
    r"(look|looks|looking) (great|good|amazing|fab\w*|fantastic|incredible|younger|fresh|hot|fire)|"
    r"beau|belle|beaux|belles|magnifique|superbe|incroyable|ecoeurant\w*|j adore|adore|"
    r"parfait\w*|resplendi\w*|eclatant\w*|rayonn\w*|sublime|trop hot"
)
# A conjunction or a contrast between them: two things said, not one image ("chills, and my
# skin looks amazing" still reports chills).
FIGURE_BREAKS = (
    r"and|et|pis|plus|also|aussi|but|mais|though|however|except|sauf|sinon|otherwise|"
    r"par contre|pourtant|while|alors que|even|meme|other than|apart from|a part"
)
# Right after the sign (read from the sign's end): "en feu... de beauté", "des frissons juste à la
# regarder".
FIGURE_AFTER = (
    r" ([|,;] )?((de|d|of|with|from) (beaute|beauty|joie|joy|bonheur|happiness|excitement|"
    r"excitation|fierte|pride|plaisir|emotion|jalousie|envy|amour|love)|"
    r"(juste |just )?(a |en )?(la |le |les )?(regarder|voir|looking at|seeing|looking|regardant)|"
    r"in a (good|great|happy) way|dans le bon sens|en bien)\b"
)
# A sign asked and answered no: "fever? nope!", "du pus? non".
DENIED_AFTER = (
    r" \? (no|nope|nah|non|none|nada|zero|not at all|pas du tout|pantoute|aucune?|negative|"
    r"negatif)(?= \|| ,| \?|$)"
)
# French puts its negation after the verb (read from the sign's end): "ça s'étend pas", "ça coule
# pu". "Pas mal", "pas possible" and "pas pire" say a lot, not none.
NEGATED_AFTER = (
    r" ((vraiment|encore|trop|tant|tellement|ben|full|toujours) )?(pas|pu|pantoute|jamais)"
    # "Enflé pas capable de l'ouvrir": the "pas" starts what follows.
    r"(?! (mal|a peu pres|juste|seulement|possible|croyable|pire|mieux|normal|capable|moyen|"
    r"de|d|du|des|la|le|les|un|une)\b)\b"
)

# Idioms and spellings read before matching: (pattern, replacement), in order.
REWRITES: tuple[tuple[str, str], ...] = (
    (r"\bw/o\b", "without"),
    (r"\b(can)'?t\b", r"\1 not"),
    (r"\bcannot\b", "can not"),
    (r"\bwon'?t\b", "will not"),
    (r"\bain'?t\b", "is not"),
    (r"\bdon't\b", "do not"),
    (
        r"\bdont(?= (have|think|see|feel|get|notice|seem|look|know|really|believe|experience)\b)",
        "do not",
    ),
    (r"\b(does|did|is|are|was|were|have|has|had|could|would|should|must|need)n'?t\b", r"\1 not"),
    (r"\bidk\b", "i do not know"),
    (r"\bsun burn", "sunburn"),
    (r"\bfever blister", "cold sore"),
    (r"\bboutons? de fie?vre", "feu sauvage"),
    (r"\bpas mal de\b", "beaucoup de"),
    # "Painless" and "pain-free" say there is no pain.
    (r"\bpain ?-?free\b|\bpainless(ly)?\b", "no pain"),
    # "A burning question" asks; it does not burn.
    (r"\bburning (?=questions?|issue|desire|curiosity)", ""),
    (r"\b(questions?) brulantes?", r"\1"),
    # Québec contractions: "jvois flou", "jme sens mal", "jsuis étourdie".
    (
        r"\bj(?=(vois|voyais|me|m|suis|sais|fais|ai|avais|pense|sens|sentais|peux|trouve|crois|"
        r"dois|vais|viens|mets|prends|veux|file|filais|shake|tremble|gele|gratte|etais)\b)",
        "j ",
    ),
    # A clock time is no score or temperature: "9:30" would become "9 | 30".
    (r"\b(\d{1,2})[:h](\d\d)\b", r"\1h\2"),
)

# Check-in answers. Every scheduled message ends: reply 1 if all is as expected, 2 if something
# worries you or is getting worse, 3 for fever, pus, spreading redness, swollen lips or eyes, or
# trouble breathing. These patterns read the casefolded text without accents (not the normalised
# one: "2/10", "2-3" and "3%" need their signs), with `\s` for spaces.
CHECKIN_LEVELS: dict[int, str] = {1: ROUTINE, 2: CONCERN, 3: URGENT}
# Words a patient may put before the number: "option 3", "choix 2", "réponse 1", "n°3", "#3".
CHECKIN_LEAD = (
    r"(?:(?:my\s+|ma\s+)?(?:option|choice|answer|reply|response|number|choix|reponse|numero)"
    # Runs of signs are bounded: unbounded ones backtrack on a reply of 20,000 "#".
    r"(?:\s+(?:is|est|=))?|num|no|n|nr|#)\s{0,3}[.:#°º=-]{0,3}\s{0,3}"
)
# Right after the number, what makes it a measure, a count of days, an ordinal or a score:
# "3 days in", "3e jour", "2/10", "1.5", "3%", "10 am" (11 and up never match: one digit only).
CHECKIN_UNIT = (
    r"(?:days?|d|hours?|hrs?|h|weeks?|wks?|w|months?|mos?|years?|yrs?|minutes?|mins?|sec\w*|"
    r"am|pm|a\.m|p\.m|times|x|jours?|j(?!')|jrs?|heures?|hres?|semaines?|sem|mois|ans|annees?|"
    r"fois|mg|ml|cc|units?|unites?|syringes?|seringues?|pills?|comprim\w*|advil|tylenol|"
    r"percent|pour\s?cent|o'?\s?clock|dollars?|bucks|\$|degrees?|degres?|c|f|spf|"
    r"questions?|things?|choses?|trucs?|items?|comments?|commentaires?)"
)
CHECKIN_NOT_AFTER = (
    r"(?:\d|[.,]\d|\s*[/%°$:]|\s*-\s*\d|\s*(?:out\s+of|sur|on|of|de|d'|des|du)\s+\S|"
    r"(?:st|nd|rd|th|e|er|re|ere|eme|ieme|iem|em|x)\b|"
    r"\s*(?:(?:more|full|whole|long|entire|other|extra|autres?|petite?s?|grosse?s?|bonnes?|"
    rf"longu?e?s?|plus)\s+)?{CHECKIN_UNIT}\b)"
)
# "2 ou 3" is an answer ("2 ou 3 je sais pas": the louder) only when a hedge or nothing follows;
# "2 ou 3 boutons" counts pimples.
CHECKIN_RANGE_END = (
    r"(?:\s*$|\s*[^\w\s]|\s+(?:i|je|j|jsais|chu|idk|dunno|not|pas|maybe|peut|probably|prob|"
    r"probablement|mais|but|hard|dur|difficile|selon|hmm|euh)\b)"
)
# A practitioner acknowledges alert 12 with "OK 12" (alerts.parse_ack): never a check-in answer.
ACK_SHAPE = r"^\s*ok(?:ay)?\b"

# A reply asks something: a "?", or a question said without one ("je peux tu aller au gym",
# "can I wear makeup", "not sure if this is normal"); it is then given the "question" reason.
# Read in the normalised text; `^` and `(^|[|,] |\? )` are a sentence start.
_ASK_START = (
    r"((^|[|,] |\? )((hi|hey|hello|ok|okay|so|and|also|but|just|quick question|question|sorry|um|"
    r"btw|bonjour|allo|salut|alors|pis|et|mais|aussi|desole|ok merci|thanks|merci) ){0,4})"
)
QUESTIONS: tuple[str, ...] = (
    # Not one the reply answers itself: "fever? nope!", "du pus? non."
    r"\?(?! (no|nope|nah|non|none|nada|zero|not at all|pas du tout|pantoute|aucune?|yes|yep|oui)"
    r"( \|| ,| \?|$))",
    _ASK_START + r"(can|could|may|should|shall|must|do|does|did|is|are|was|were|will|would|"
    r"have|has|am) (i|we|you|it|this|that|these|those|they|he|she|my|the|there|someone|"
    r"somebody|anyone|a|an|u)",
    _ASK_START + r"(how|what|when|where|why|which|who)( [a-z]+)? (can|could|should|do|does|did|"
    r"is|are|was|were|will|would|long|much|many|often|soon|kind|type|time|s)",
    r"(i wonder|wondering|want\w* to know|like to know|curious (if|whether|about|to know)|"
    r"any (advice|tips|idea|suggestions?)|let me know (if|whether|when|how|what)|please advise|"
    r"(not sure|unsure|do not know|i do not know) (if|whether))",
    r"est ce|est il|est elle|c est tu|c tu|ctu",
    r"(peux|peut|puis|dois|doit|devrais|devrait|pourrais|pourrait|faut|faudrait|vais|va|vas|ai|"
    r"as|avez|pouvez|devez|sont|suis|sera|serait|fait|font|est|vaut|mets|met|prends|prend|"
    r"reste|dure) (tu|t il|t elle|je|vous)\b",
    # "Quel film!" exclaims: "quel" asks only before a verb or a kind of thing.
    _ASK_START + r"(combien|pourquoi|comment|quoi faire|c est quoi|c quoi|c est qui|c ki|qui est|"
    r"a quel moment|jusqu a quand|d ici combien|quel\w* (est|sont|serait|genre|type|sorte|marque))",
    _ASK_START + r"quand (est ce|puis|peux|pourrai\w*|est|vais|dois|faut|c est|on)",
    r"(je me demand\w*|je voulais savoir|j aimerais savoir|voudrais savoir|savoir si|"
    r"pouvez vous me dire|vous pouvez me dire|pourriez vous|sais (pas|trop) si|"
    r"pas (sur|sure|certaine?) (si|que))",
    r"(puis|dois|peux) je|est il normal|combien de temps|how long|what (should|can) i",
)

# Whole-message keywords (carrier opt-out words, and the French ones the clinic announces).
KEYWORDS: dict[str, str] = {
    word: keyword
    for keyword, words in (
        ("stop", "stop stopall unsubscribe cancel end quit revoke optout arret desabonner"),
        ("start", "start unstop yes commencer"),
        ("help", "help info aide"),
    )
    for word in words.split()
}
