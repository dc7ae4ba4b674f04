"""Table-driven tests of reply triage: every sign in both languages, negations, keywords."""

from __future__ import annotations

import re
import time

import pytest

from scheduler.inbound import triage_lexicon as lexicon
from scheduler.inbound.alerts import parse_ack
from scheduler.inbound.reply_words import checkin_of, keyword_of, normalise
from scheduler.inbound.triage import LEVELS, Triage, classify

URGENT, CONCERN, ROUTINE = "urgent", "concern", "routine"

# (text, level, a reason that must be among the reasons)
SIGNS: list[tuple[str, str, str]] = [
    # --- urgent: infection ---
    ("there's pus coming out of one spot", URGENT, "pus"),
    ("some yellow stuff is oozing from my cheek", URGENT, "pus"),
    ("il y a du pus sur mon menton", URGENT, "pus"),
    ("y'a du pu qui sort d'un bouton", URGENT, "pus"),
    ("ça pue et ça coule", URGENT, "pus"),
    ("I have a fever of 38.6", URGENT, "fever"),
    ("running a feaver since last night", URGENT, "fever"),
    ("temp is 101 F", URGENT, "fever"),
    ("j'ai de la fièvre", URGENT, "fever"),
    ("je fais de la fievre depuis hier", URGENT, "fever"),
    ("FIÉVRE ce matin", URGENT, "fever"),
    ("39,2 ce matin", URGENT, "fever"),
    ("feel like I'm coming down with the flu", URGENT, "flu-like symptoms"),
    ("comme une grippe depuis hier", URGENT, "flu-like symptoms"),
    ("I've got chills", URGENT, "chills"),
    ("shivering all night", URGENT, "chills"),
    ("j'ai des frissons", URGENT, "chills"),
    ("my cheek is hot to the touch", URGENT, "skin hot to the touch"),
    ("skin feels really hot", URGENT, "skin hot to the touch"),
    ("la peau est chaude au toucher", URGENT, "skin hot to the touch"),
    ("mes joues sont brûlantes", URGENT, "skin hot to the touch"),
    ("no pain yesterday, today it's throbbing and hot", URGENT, "skin hot to the touch"),
    ("red streaks going down my neck", URGENT, "red streaks"),
    ("des lignes rouges sur le cou", URGENT, "red streaks"),
    ("the redness is spreading", URGENT, "spreading redness"),
    ("it was one spot, now it's spreading everywhere", URGENT, "spreading redness"),
    ("la rougeur s'étend vers le cou", URGENT, "spreading redness"),
    ("I think it's infected", URGENT, "possible infection"),
    ("worried it's infected", URGENT, "possible infection"),
    ("c'est infecté je pense", URGENT, "possible infection"),
    ("peur que ça s'infecte", URGENT, "possible infection"),
    ("est-ce une infection?", URGENT, "possible infection"),
    # --- urgent: allergic reaction ---
    ("I broke out in hives", URGENT, "allergic reaction"),
    ("de l'urticaire partout", URGENT, "allergic reaction"),
    ("je pense que je fais une réaction allergique", URGENT, "allergic reaction"),
    ("my lips are swollen", URGENT, "swelling of the lips"),
    ("swollen upper lip", URGENT, "swelling of the lips"),
    ("mes lèvres sont enflées", URGENT, "swelling of the lips"),
    ("j'ai les lèvres gonflées", URGENT, "swelling of the lips"),
    ("mes lèvres ont doublé de volume", URGENT, "swelling of the lips"),
    ("my eyes are puffy and swollen", URGENT, "swelling of the eyes"),
    ("my eye is swollen shut", URGENT, "swelling of the eyes"),
    ("les yeux enflés ce matin", URGENT, "swelling of the eyes"),
    ("paupières bouffies", URGENT, "swelling of the eyes"),
    ("my throat feels tight", URGENT, "swelling of the throat"),
    ("ma gorge est serrée", URGENT, "swelling of the throat"),
    ("I'm having trouble breathing", URGENT, "trouble breathing"),
    ("I can\N{RIGHT SINGLE QUOTATION MARK}t breathe well", URGENT, "trouble breathing"),
    ("short of breath since the treatment", URGENT, "trouble breathing"),
    ("j'ai de la misère à respirer", URGENT, "trouble breathing"),
    ("je ne peux pas respirer", URGENT, "trouble breathing"),
    ("chu pas capable de respirer", URGENT, "trouble breathing"),
    # --- urgent: pain, bleeding, blisters, eyes ---
    ("the pain is severe", URGENT, "severe pain"),
    ("excruciating pain on my cheek", URGENT, "severe pain"),
    ("pain is 8/10", URGENT, "severe pain"),
    ("it hurts so much I can't sleep", URGENT, "severe pain"),
    ("douleur atroce", URGENT, "severe pain"),
    ("ça fait vraiment mal", URGENT, "severe pain"),
    ("ça fait mal en titi", URGENT, "severe pain"),
    ("it won't stop bleeding", URGENT, "bleeding that does not stop"),
    ("still bleeding from this morning", URGENT, "bleeding that does not stop"),
    ("ça n'arrête pas de saigner", URGENT, "bleeding that does not stop"),
    ("ça saigne encore", URGENT, "bleeding that does not stop"),
    ("I have blisters on my forehead", URGENT, "blisters"),
    ("des cloques sur la joue", URGENT, "blisters"),
    ("des ampoules sont apparues", URGENT, "blisters"),
    ("my vision is blurry", URGENT, "vision changes"),
    ("seeing double since this morning", URGENT, "vision changes"),
    ("je vois flou de l'oeil gauche", URGENT, "vision changes"),
    ("ma vue est trouble", URGENT, "vision changes"),
    ("everything looks blurry in my right eye", URGENT, "vision changes"),
    ("pain in my eye", URGENT, "eye pain"),
    ("j'ai mal à l'œil", URGENT, "eye pain"),
    # --- concern ---
    ("still red after 10 days", CONCERN, "redness persisting past a week"),
    ("encore rouge après deux semaines", CONCERN, "redness persisting past a week"),
    ("pimples still there a week later", CONCERN, "pimples persisting past a week"),
    ("toujours des boutons depuis une semaine", CONCERN, "pimples persisting past a week"),
    ("my breakout is getting worse", CONCERN, "worsening breakout"),
    ("more pimples every day", CONCERN, "worsening breakout"),
    ("de plus en plus de boutons", CONCERN, "worsening breakout"),
    ("so itchy I can't stand it", CONCERN, "intense itching"),
    ("it itches like crazy", CONCERN, "intense itching"),
    ("itching so bad", CONCERN, "intense itching"),
    ("ça me démange énormément", CONCERN, "intense itching"),
    ("des démangeaisons intenses", CONCERN, "intense itching"),
    ("painful cyst on my chin", CONCERN, "painful cysts"),
    ("un gros bouton douloureux sous la peau", CONCERN, "painful cysts"),
    ("kyste douloureux au menton", CONCERN, "painful cysts"),
    ("it burns", CONCERN, "burning or stinging"),
    ("stinging when I put the serum", CONCERN, "burning or stinging"),
    ("ça brûle", CONCERN, "burning or stinging"),
    ("ça picote", CONCERN, "burning or stinging"),
    ("I got a cold sore", CONCERN, "cold sore"),
    ("fever blister on my lip", CONCERN, "cold sore"),
    ("j'ai un feu sauvage", CONCERN, "cold sore"),
    ("un bouton de fièvre sur la lèvre", CONCERN, "cold sore"),
    ("dark patches on my forehead", CONCERN, "dark patches"),
    ("des taches brunes apparaissent", CONCERN, "dark patches"),
    ("I picked at the scabs", CONCERN, "picking"),
    ("I popped a couple of pimples", CONCERN, "picking"),
    ("j'ai gratté les croûtes", CONCERN, "picking"),
    ("j'ai pété un bouton", CONCERN, "picking"),
    ("still swollen on day 4", CONCERN, "swelling not going down"),
    ("the swelling isn't going down", CONCERN, "swelling not going down"),
    ("toujours enflée", CONCERN, "swelling not going down"),
    ("l'enflure ne descend pas", CONCERN, "swelling not going down"),
    ("I'm worried", CONCERN, "worried"),
    ("doesn't look normal to me", CONCERN, "worried"),
    ("je suis inquiète", CONCERN, "worried"),
    ("ça m'inquiète un peu", CONCERN, "worried"),
    ("my face is swollen", CONCERN, "swelling"),
    ("j'ai le visage enflé", CONCERN, "swelling"),
    ("it hurts", CONCERN, "pain"),
    ("j'ai mal", CONCERN, "pain"),
    ("it bleeds when I wash", CONCERN, "bleeding"),
    ("ça saigne quand je me lave", CONCERN, "bleeding"),
    ("I have a rash on my neck", CONCERN, "rash"),
    ("une éruption sur le cou", CONCERN, "rash"),
    ("my face is super red", CONCERN, "intense redness"),
    ("très rouge ce matin", CONCERN, "intense redness"),
    ("can you call me", CONCERN, "asks to be called"),
    ("pouvez-vous me rappeler", CONCERN, "asks to be called"),
    ("I feel sick and dizzy", URGENT, "feeling unwell"),
    ("je me sens pas bien", URGENT, "feeling unwell"),
    ("it's getting worse", CONCERN, "getting worse"),
    ("ça empire", CONCERN, "getting worse"),
    ("still sore 8 days later", CONCERN, "pain persisting past a week"),
    ("still itchy after 2 weeks", CONCERN, "itching persisting past a week"),
    # --- routine ---
    ("a bit red, like a sunburn", ROUTINE, "mild redness"),
    ("un peu rouge comme un coup de soleil", ROUTINE, "mild redness"),
    ("a few tiny bumps", ROUTINE, "small pimples"),
    ("quelques petits boutons", ROUTINE, "small pimples"),
    ("some microcysts on my chin", ROUTINE, "small pimples"),
    ("my face is a bit swollen", ROUTINE, "mild swelling"),
    ("un peu enflé ce matin", ROUTINE, "mild swelling"),
    ("skin feels tight", ROUTINE, "tightness"),
    ("la peau tire", ROUTINE, "tightness"),
    ("very dry today", ROUTINE, "dryness"),
    ("la peau est sèche", ROUTINE, "dryness"),
    ("it's peeling a lot", ROUTINE, "peeling"),
    ("ça pèle", ROUTINE, "peeling"),
    ("a little tender", ROUTINE, "mild discomfort"),
    ("pain is only 2/10", ROUTINE, "mild discomfort"),
    ("un peu sensible", ROUTINE, "mild discomfort"),
    ("it bled a tiny bit", ROUTINE, "minor bleeding"),
    ("quelques gouttes de sang", ROUTINE, "minor bleeding"),
    ("it's itchy", ROUTINE, "mild itching"),
    ("ça démange un peu", ROUTINE, "mild itching"),
    ("thanks so much!", ROUTINE, "thanks"),
    ("merci beaucoup", ROUTINE, "thanks"),
    ("When can I wear makeup?", ROUTINE, "question"),
    ("Est-ce que je peux me maquiller?", ROUTINE, "question"),
    # --- the same signs said differently (misses reported on fresh replies) ---
    ("the redness is creeping up my cheek", URGENT, "spreading redness"),
    ("redness moving down to my neck", URGENT, "spreading redness"),
    ("the red is going down my neck", URGENT, "spreading redness"),
    ("redness has travelled to my jaw", URGENT, "spreading redness"),
    ("the redness is reaching my ear now", URGENT, "spreading redness"),
    ("le rouge descend dans mon cou", URGENT, "spreading redness"),
    ("le rouge s'étend sur la joue", URGENT, "spreading redness"),
    ("la rougeur gagne le cou", URGENT, "spreading redness"),
    ("la rougeur monte vers l'oeil", URGENT, "spreading redness"),
    ("la rougeur se rend jusqu'au cou", URGENT, "spreading redness"),
    ("I see everything double", URGENT, "vision changes"),
    ("everything looks doubled", URGENT, "vision changes"),
    ("things look blurry", URGENT, "vision changes"),
    ("it's all blurred since this morning", URGENT, "vision changes"),
    ("my eyesight went blurry", URGENT, "vision changes"),
    ("I'm seeing two of everything", URGENT, "vision changes"),
    ("can't see well out of my left eye", URGENT, "vision changes"),
    ("je vois tout flou", URGENT, "vision changes"),
    ("elle voit flou", URGENT, "vision changes"),
    ("j'ai la vue embrouillée", URGENT, "vision changes"),
    ("je vois pas bien de l'oeil droit", URGENT, "vision changes"),
    ("c'est flou dans mon oeil gauche", URGENT, "vision changes"),
    ("my lip doubled in size", URGENT, "swelling of the lips"),
    ("super puffy lips this morning", URGENT, "swelling of the lips"),
    ("my lips are massive", URGENT, "swelling of the lips"),
    ("my lips blew up overnight", URGENT, "swelling of the lips"),
    ("ma lèvre a doublé de volume", URGENT, "swelling of the lips"),
    ("ma lèvre du haut a doublé", URGENT, "swelling of the lips"),
    ("mes lèvres sont énormes", URGENT, "swelling of the lips"),
    ("lèvres gonflées comme des saucisses", URGENT, "swelling of the lips"),
    ("my eye is so swollen I can't open it", URGENT, "swelling of the eyes"),
    ("can't even open my left eye", URGENT, "swelling of the eyes"),
    ("mon oeil est tellement enflé que je peux pas l'ouvrir", URGENT, "swelling of the eyes"),
    ("paupière tellement gonflée que j'ouvre pas l'oeil", URGENT, "swelling of the eyes"),
    ("pain is a 10", URGENT, "severe pain"),
    ("the pain is like an 8 right now", URGENT, "severe pain"),
    ("8/10 pain since last night", URGENT, "severe pain"),
    ("I'd rate the pain 9", URGENT, "severe pain"),
    ("douleur à 9 sur 10", URGENT, "severe pain"),
    ("ma douleur est à 8", URGENT, "severe pain"),
    ("temp 101.5", URGENT, "fever"),
    ("101.5 this morning", URGENT, "fever"),
    ("thermometer says 100.8", URGENT, "fever"),
    ("38.5 tonight", URGENT, "fever"),
    ("39 degrees", URGENT, "fever"),
    ("température de 38,6", URGENT, "fever"),
    ("je fais 39 depuis hier", URGENT, "fever"),
    ("brown spots on my cheeks", CONCERN, "dark patches"),
    ("brownish spots on my cheeks", CONCERN, "dark patches"),
    ("the spots are turning brown", CONCERN, "dark patches"),
    ("the marks are getting darker", CONCERN, "dark patches"),
    ("my skin is getting darker in patches", CONCERN, "dark patches"),
    ("des taches foncées sur le front", CONCERN, "dark patches"),
    ("des marques brunes", CONCERN, "dark patches"),
    ("ma peau fonce par endroits", CONCERN, "dark patches"),
    ("itchy like crazy", CONCERN, "intense itching"),
    ("the itching is driving me crazy", CONCERN, "intense itching"),
    ("itching nonstop all night", CONCERN, "intense itching"),
    ("ça pique sans arrêt", CONCERN, "intense itching"),
    ("ça gratte en maudit", CONCERN, "intense itching"),
    ("ça me démange tout le temps", CONCERN, "intense itching"),
    ("démangeaisons terribles", CONCERN, "intense itching"),
    ("de grosses démangeaisons la nuit", CONCERN, "intense itching"),
    ("itching is relentless", CONCERN, "intense itching"),
    ("the redness has taken over my whole jawline", URGENT, "spreading redness"),
    ("redness bleeding into my hairline", URGENT, "spreading redness"),
    ("my vision is kinda smeared", URGENT, "vision changes"),
    ("j'ai des images doubles", URGENT, "vision changes"),
    ("my mouth is all swollen", URGENT, "swelling of the lips"),
    ("j'ai la bouche toute enflée", URGENT, "swelling of the lips"),
    # --- indirect descriptions, pronoun subjects and Franglais (second round of fresh replies) ---
    ("my throat feels like it's closing up", URGENT, "swelling of the throat"),
    ("throat feels weird when I swallow", URGENT, "swelling of the throat"),
    ("I can't swallow properly", URGENT, "swelling of the throat"),
    ("it hurts when I swallow", URGENT, "swelling of the throat"),
    ("my tongue feels thick", URGENT, "swelling of the throat"),
    ("my voice has gone hoarse", URGENT, "swelling of the throat"),
    ("je peux pas avaler", URGENT, "swelling of the throat"),
    ("ça fait mal quand j'avale", URGENT, "swelling of the throat"),
    ("j'ai la gorge comme si elle se fermait", URGENT, "swelling of the throat"),
    ("ma langue est épaisse", URGENT, "swelling of the throat"),
    ("j'ai la voix enrouée depuis ce matin", URGENT, "swelling of the throat"),
    ("there's a whistling sound when I breathe", URGENT, "trouble breathing"),
    ("I feel like I can't get enough air", URGENT, "trouble breathing"),
    ("ça siffle quand je respire", URGENT, "trouble breathing"),
    ("je siffle en respirant", URGENT, "trouble breathing"),
    ("j'ai la poitrine serrée", URGENT, "trouble breathing"),
    ("je manque d'air", URGENT, "trouble breathing"),
    ("one spot is leaking clear fluid", URGENT, "pus"),
    ("the bumps are leaking", URGENT, "pus"),
    ("ça coule d'un bouton", URGENT, "pus"),
    ("y'a des trous qui coulent", URGENT, "pus"),
    ("I see halos around lights", URGENT, "vision changes"),
    ("floaters in my left eye since yesterday", URGENT, "vision changes"),
    ("flashes of light in my right eye", URGENT, "vision changes"),
    ("je vois des halos autour des lumières", URGENT, "vision changes"),
    ("des mouches volantes dans l'oeil droit", URGENT, "vision changes"),
    ("des points qui flottent devant mes yeux", URGENT, "vision changes"),
    ("fluid-filled bumps on my cheek", URGENT, "blisters"),
    ("little bubbles under the skin on my chin", URGENT, "blisters"),
    ("des boutons remplis de liquide", URGENT, "blisters"),
    ("des petites poches d'eau sur la lèvre", URGENT, "blisters"),
    ("it keeps dripping blood", URGENT, "bleeding that does not stop"),
    ("I've held a tissue on it for 20 minutes", URGENT, "bleeding that does not stop"),
    ("ça saigne depuis une heure", URGENT, "bleeding that does not stop"),
    ("ça continue de couler du sang", URGENT, "bleeding that does not stop"),
    ("ça fait 40 minutes que j'appuie un kleenex dessus", URGENT, "bleeding that does not stop"),
    ("it's hot like an oven", URGENT, "skin hot to the touch"),
    ("the bump is hard and it's hot", URGENT, "skin hot to the touch"),
    ("ma face est full hot", URGENT, "skin hot to the touch"),
    ("c'est tout chaud autour du bouton", URGENT, "skin hot to the touch"),
    ("it keeps spreading", URGENT, "spreading redness"),
    ("c'est en train de s'étendre", URGENT, "spreading redness"),
    ("ça grossit d'heure en heure", URGENT, "spreading redness"),
    ("mes lèvres sont huge", URGENT, "swelling of the lips"),
    ("ma lèvre est twice the size", URGENT, "swelling of the lips"),
    ("the pain woke me up twice", URGENT, "severe pain"),
    ("the throbbing wakes me up at night", URGENT, "severe pain"),
    ("la douleur me réveille la nuit", URGENT, "severe pain"),
    ("the itching keeps waking me up", CONCERN, "intense itching"),
    ("les démangeaisons m'empêchent de dormir", CONCERN, "intense itching"),
    ("ça me démange et ça me réveille", CONCERN, "intense itching"),
    ("the area around my mouth is getting darker", CONCERN, "dark patches"),
    ("one side looks darker than the other", CONCERN, "dark patches"),
    ("it looks like a shadow above my lip", CONCERN, "dark patches"),
    ("mon front est plus foncé qu'avant", CONCERN, "dark patches"),
    ("ça s'assombrit autour de la bouche", CONCERN, "dark patches"),
    ("la peau au-dessus de ma lèvre fonce", CONCERN, "dark patches"),
    ("my skin looks mottled", URGENT, "mottled or dusky skin"),
    ("la peau est marbrée sur la joue", URGENT, "mottled or dusky skin"),
    ("je capote", CONCERN, "worried"),
    ("I'm flipping out a bit", CONCERN, "worried"),
    ("je flippe", CONCERN, "worried"),
    ("I scratched the scabs off", CONCERN, "picking"),
    ("I scratched during the night without noticing", CONCERN, "picking"),
    ("I keep playing with the scabs", CONCERN, "picking"),
    ("je me suis gratté pendant la nuit", CONCERN, "picking"),
    ("je joue avec mes croûtes", CONCERN, "picking"),
    ("j'arrête pas de toucher à mes boutons", CONCERN, "picking"),
    ("ça arrête pas de chauffer", CONCERN, "burning or stinging"),
    ("la bosse grossit", CONCERN, "worsening breakout"),
    ("swallowing hurts", URGENT, "swelling of the throat"),
    ("I keep gasping for air", URGENT, "trouble breathing"),
    ("j'ai de la misère à reprendre mon souffle", URGENT, "trouble breathing"),
    ("the pimple is filled with clear fluid", URGENT, "blisters"),
    ("blood keeps trickling down", URGENT, "bleeding that does not stop"),
    ("l'itch me réveille", CONCERN, "intense itching"),
    ("ça me réveille tellement ça fait mal", URGENT, "severe pain"),
    ("I can't stop touching my scabs", CONCERN, "picking"),
    # --- families of wording the first blind round found missing ---
    # Illness of the whole body, everyday images of it included
    ("I threw up twice this morning", URGENT, "feeling unwell"),
    ("so lightheaded I had to sit on the floor", URGENT, "feeling unwell"),
    ("I nearly passed out at the pharmacy", URGENT, "feeling unwell"),
    ("my whole body aches", URGENT, "feeling unwell"),
    ("I feel like I got run over by a bus", URGENT, "feeling unwell"),
    ("feel like a zombie today", URGENT, "feeling unwell"),
    ("can barely get out of bed", URGENT, "feeling unwell"),
    ("j'ai renvoyé mon souper", URGENT, "feeling unwell"),
    ("j'ai des courbatures dans tout le corps", URGENT, "feeling unwell"),
    ("comme si un train m'avait roulé dessus", URGENT, "feeling unwell"),
    ("chu toute molle depuis hier", URGENT, "feeling unwell"),
    ("jme sens comme une guenille", URGENT, "feeling unwell"),
    ("je file pas pantoute", URGENT, "feeling unwell"),
    ("my teeth are chattering", URGENT, "chills"),
    ("I can't get warm tonight", URGENT, "chills"),
    ("je shake de partout", URGENT, "chills"),
    ("j'arrive pas à me réchauffer", URGENT, "chills"),
    ("ma face bouille", URGENT, "skin hot to the touch"),
    # Pain that keeps climbing, or that painkillers do not touch
    ("the pain keeps getting worse", URGENT, "pain getting worse"),
    ("it hurts more every hour", URGENT, "pain getting worse"),
    ("advil isn't touching it", URGENT, "pain not eased by painkillers"),
    ("the painkillers do nothing", URGENT, "pain not eased by painkillers"),
    ("la douleur empire", URGENT, "pain getting worse"),
    ("j'ai de plus en plus mal", URGENT, "pain getting worse"),
    ("les tylenols font rien", URGENT, "pain not eased by painkillers"),
    # Discharge by its colour or texture
    ("there's green goo in one spot", URGENT, "pus"),
    ("cloudy liquid coming out of a bump", URGENT, "pus"),
    ("a honey-coloured crust on my lip", URGENT, "pus"),
    ("the scab is wet underneath", URGENT, "pus"),
    ("gooey stuff under the crust", URGENT, "pus"),
    ("y'a du jaune qui sort", URGENT, "pus"),
    ("les croûtes sont jaune miel", URGENT, "pus"),
    ("c'est gluant sous la croûte", URGENT, "pus"),
    # Hives: welts, blotches, bumps that swell or show up away from the face
    ("blotches on my arms that keep swelling up", URGENT, "allergic reaction"),
    ("raised bumps all over my belly", URGENT, "allergic reaction"),
    ("des plaques qui gonflent sur le cou", URGENT, "allergic reaction"),
    ("des bosses partout sur les bras", URGENT, "allergic reaction"),
    # After filler: white, grey, blue, dusky, purple, lacy
    ("the skin by the injection turned white", URGENT, "mottled or dusky skin"),
    ("my lip looks bluish", URGENT, "mottled or dusky skin"),
    ("a dusky patch near my nose", URGENT, "mottled or dusky skin"),
    ("a purple lacy pattern on my cheek", URGENT, "mottled or dusky skin"),
    ("la peau est devenue toute blanche", URGENT, "mottled or dusky skin"),
    ("c'est violacé autour de l'injection", URGENT, "mottled or dusky skin"),
    ("une tache bleutée sur la lèvre", URGENT, "mottled or dusky skin"),
    ("jvois flou depuis ce matin", URGENT, "vision changes"),
    ("things look hazy out of one eye", URGENT, "vision changes"),
    # Redness on the move, or past the line drawn around it
    ("the redness went past the pen line", URGENT, "spreading redness"),
    ("la rougeur dépasse le trait de crayon", URGENT, "spreading redness"),
    ("the redness has grown since last night", URGENT, "spreading redness"),
    # Unsure means louder: bodily symptoms no sign above places
    ("I've had a headache for two days", CONCERN, "other symptom"),
    ("a nosebleed this morning", CONCERN, "other symptom"),
    ("the skin underneath is raw", CONCERN, "other symptom"),
    ("my upper lip feels numb", CONCERN, "other symptom"),
    ("my eyebrow is drooping", CONCERN, "drooping or uneven"),
    ("a hard bump where the filler went", CONCERN, "other symptom"),
    ("j'ai mal à la tête depuis hier", CONCERN, "other symptom"),
    ("c'est à vif sous la peau qui pèle", CONCERN, "other symptom"),
    ("ma lèvre est engourdie", CONCERN, "other symptom"),
    ("ma paupière tombe", CONCERN, "drooping or uneven"),
    ("la bosse est dure", CONCERN, "painful cysts"),
    ("my eyes are dry and irritated", CONCERN, "eye irritation"),
    ("gritty eyes since the peel", CONCERN, "eye irritation"),
    ("j'ai les yeux secs", CONCERN, "eye irritation"),
    ("les yeux qui coulent", CONCERN, "eye irritation"),
    ("the little bumps are still there", CONCERN, "not going away"),
    ("the redness won't go away", CONCERN, "not going away"),
    ("les rougeurs partent pas", CONCERN, "not going away"),
    ("every time I put on the cream it gets itchy", CONCERN, "reaction to a product"),
    ("chaque fois que je mets la crème ça devient rouge", CONCERN, "reaction to a product"),
    ("still peeling after 2 weeks", CONCERN, "peeling persisting past a week"),
    ("toujours sèche après 10 jours", CONCERN, "dryness persisting past a week"),
    ("week 2 and still pink", CONCERN, "redness persisting past a week"),
    ("took advil and it still throbs", URGENT, "pain not eased by painkillers"),
    ("malgré les advils j'ai encore mal", URGENT, "pain not eased by painkillers"),
    ("one eyebrow sits higher than the other", CONCERN, "drooping or uneven"),
    ("can't really move my forehead", CONCERN, "drooping or uneven"),
    ("ma paupière est plus basse que l'autre", CONCERN, "drooping or uneven"),
    ("mon sourcil est croche", CONCERN, "drooping or uneven"),
    ("tongue feels big and tingly", URGENT, "swelling of the throat"),
    ("face swelling up, lips too", URGENT, "swelling of the lips"),
    ("le visage enfle, la bouche aussi", URGENT, "swelling of the lips"),
    ("the area looks blanched", URGENT, "mottled or dusky skin"),
    ("cold and pale around the injection", URGENT, "mottled or dusky skin"),
    ("le coin de la bouche est tout blanc", URGENT, "mottled or dusky skin"),
    ("the redness is all the way across to my ear", URGENT, "spreading redness"),
    ("ma joue coule", URGENT, "pus"),
    ("a lump like a pea under the skin", CONCERN, "painful cysts"),
    ("bad acne breakout since the facial", CONCERN, "worsening breakout"),
    ("I've got the sweats and shakes", URGENT, "chills"),
    ("itchy all over my face", CONCERN, "intense itching"),
    ("peeling off and bleeding a bit underneath", CONCERN, "other symptom"),
    ("ça saigne en dessous de la peau qui pèle", CONCERN, "other symptom"),
    ("la douleur est intenable", URGENT, "severe pain"),
    ("I can't take the pain", URGENT, "severe pain"),
    ("my left eyebrow is lower", CONCERN, "drooping or uneven"),
    ("mon sourcil gauche est plus bas", CONCERN, "drooping or uneven"),
    ("redder than yesterday", CONCERN, "getting worse"),
    ("c'est plus enflé qu'hier", CONCERN, "getting worse"),
    ("my face is puffing up, especially around the eyes", URGENT, "swelling of the eyes"),
    ("the swelling moved down to my eyelids", URGENT, "swelling of the eyes"),
    ("can't keep anything down", URGENT, "feeling unwell"),
    ("des plaques qui me démangent sur tout le corps", URGENT, "allergic reaction"),
    ("ma face est enflée, surtout autour des yeux", URGENT, "swelling of the eyes"),
    ("j'ai eu un malaise", URGENT, "feeling unwell"),
    ("itchy bumps everywhere, even my legs", URGENT, "allergic reaction"),
    ("purple marks like a net", URGENT, "mottled or dusky skin"),
    ("je vois des points noirs qui flottent", URGENT, "vision changes"),
    ("la douleur me fait pleurer", URGENT, "severe pain"),
    ("j'ai de la difficulté à prendre mon souffle", URGENT, "trouble breathing"),
    ("I think I'm allergic to the cream", URGENT, "allergic reaction"),
    ("I think I'm allergic", URGENT, "allergic reaction"),
    ("lots of little red bumps", CONCERN, "worsening breakout"),
    # Expected early on, and said as such
    ("I'm allergic to penicillin, does that matter?", ROUTINE, "known allergy"),
    ("je suis allergique aux noix", ROUTINE, "known allergy"),
    ("can I pop the little whiteheads?", ROUTINE, "asks about picking"),
    ("je peux-tu péter mes petits boutons blancs?", ROUTINE, "asks about picking"),
    ("nervous about my next session", ROUTINE, "about the next session"),
    ("j'ai hâte à ma prochaine séance", ROUTINE, "about the next session"),
    ("a small bruise where the needle went", ROUTINE, "bruising"),
    ("un petit bleu près de la lèvre", ROUTINE, "bruising"),
    ("burns a little, like a sunburn", ROUTINE, "mild discomfort"),
    ("ça chauffe un peu", ROUTINE, "mild discomfort"),
    ("I look like a lobster lol", ROUTINE, "mild redness"),
]

# (text, level, reasons exactly): what negation and its scope do.
NEGATIONS: list[tuple[str, str, tuple[str, ...]]] = [
    ("no fever", ROUTINE, ()),
    ("I don't have a fever", ROUTINE, ()),
    ("not swollen anymore", ROUTINE, ()),
    ("no more pus", ROUTINE, ()),
    ("never had chills", ROUTINE, ()),
    ("no signs of infection", ROUTINE, ()),
    ("doesn't look infected", ROUTINE, ()),
    ("no swelling or redness", ROUTINE, ()),
    ("I don't see any pus or signs of infection", ROUTINE, ()),
    ("without any pain", ROUTINE, ()),
    ("pas de fièvre", ROUTINE, ()),
    ("aucun pus", ROUTINE, ()),
    ("il n'y a plus de pus", ROUTINE, ()),
    ("sans fièvre", ROUTINE, ()),
    ("pas enflé", ROUTINE, ()),
    ("je n'ai jamais eu de frissons", ROUTINE, ()),
    ("ni fièvre ni frissons", ROUTINE, ()),
    ("ça ne saigne plus", ROUTINE, ()),
    ("plus enflé pantoute", ROUTINE, ()),
    # Said after the sign
    ("the pus is gone", ROUTINE, ()),
    ("swelling is down, just dry now", ROUTINE, ("dryness",)),
    ("the bleeding stopped", ROUTINE, ()),
    ("swelling went down", ROUTINE, ()),
    ("la fièvre est partie", ROUTINE, ()),
    # Scope ends at a contrast, punctuation, "and now", a new statement
    ("no fever but pus", URGENT, ("pus",)),
    ("no fever, pus on my cheek", URGENT, ("pus",)),
    ("no fever. Chills though", URGENT, ("chills",)),
    ("no pain and now my lips are swollen", URGENT, ("swelling of the lips",)),
    ("no fever I have chills", URGENT, ("chills",)),
    ("pas de fièvre mais du pus", URGENT, ("pus",)),
    ("pas de pus, par contre des frissons", URGENT, ("chills",)),
    ("aucune douleur et maintenant de la fièvre", URGENT, ("fever",)),
    # Phrases that look negative and are not
    ("not sure if it's pus", URGENT, ("pus",)),
    ("I don't know if I have a fever", URGENT, ("fever",)),
    ("je sais pas si c'est du pus", URGENT, ("pus",)),
    ("il n'y a que du pus", URGENT, ("pus",)),
    ("pas mal de boutons", CONCERN, ("worsening breakout",)),
    ("I couldn't help popping them", CONCERN, ("picking",)),
    ("j'ai pas pu m'empêcher de percer mes boutons", CONCERN, ("picking",)),
    ("nothing helps the itching", ROUTINE, ("mild itching",)),
    # "Gone" in a question is asked, not reported; easing never quiets an urgent sign
    ("is the pus gone now?", URGENT, ("pus",)),
    ("fever is going down", URGENT, ("fever",)),
    # A hypothetical is not a report
    ("what should I do if I get a fever?", ROUTINE, ("question",)),
    ("quoi faire si j'ai de la fièvre?", ROUTINE, ("question",)),
    ("not sure if I have a fever", URGENT, ("fever",)),
    # Normal temperature, or a date in February, is not a fever
    ("my temperature is normal", ROUTINE, ()),
    ("rendez-vous le 3 février", ROUTINE, ()),
    # "and" ends a negation before an urgent sign: when unsure, the louder level
    ("no fever and pus everywhere", URGENT, ("pus",)),
    ("pas de fièvre et du pus qui sort", URGENT, ("pus",)),
    ("no fever and no pus", ROUTINE, ()),
    ("no swelling and redness", ROUTINE, ()),
    # A cue after a sign does not cancel it; only "gone" words said after do
    ("l'oeil enflé pas capable de l'ouvrir", URGENT, ("swelling of the eyes",)),
    ("les lèvres enflées que je peux pas fermer la bouche", URGENT, ("swelling of the lips",)),
    ("la fièvre est passée", ROUTINE, ()),
    # Said differently, and negated all the same
    ("no double vision", ROUTINE, ()),
    ("my vision is fine, not blurry", ROUTINE, ()),
    ("pas de vision floue", ROUTINE, ()),
    ("je ne vois pas flou", ROUTINE, ()),
    ("the redness is going down", ROUTINE, ()),
    ("la rougeur a descendu", ROUTINE, ()),
    ("the redness isn't spreading to my neck", ROUTINE, ("mild redness",)),
    ("lips aren't swollen or huge", ROUTINE, ()),
    ("no dark spots", ROUTINE, ()),
    ("pas de taches brunes", ROUTINE, ()),
    ("mes lèvres n'ont pas doublé de volume", ROUTINE, ()),
    ("it itches a bit but not like crazy", ROUTINE, ("mild itching",)),
    ("pas de démangeaisons terribles", ROUTINE, ()),
    ("blurry photo attached, sorry", ROUTINE, ()),
    ("la rougeur continue sur les joues", ROUTINE, ("mild redness",)),
    # What the session itself caused is then, not now
    ("it was a 7/10 pain during the session but nothing since", ROUTINE, ()),
    # The second round of indirect descriptions, negated or quiet
    ("no trouble swallowing", ROUTINE, ()),
    ("pas de mal à avaler", ROUTINE, ()),
    ("my voice is fine, not hoarse", ROUTINE, ()),
    ("no wheezing or whistling when I breathe", ROUTINE, ()),
    ("je ne siffle pas en respirant", ROUTINE, ()),
    ("nothing is leaking", ROUTINE, ()),
    ("ça ne coule plus", ROUTINE, ()),
    ("I see spots on my chin", ROUTINE, ("small pimples",)),
    ("je vois des points blancs sur le menton", ROUTINE, ("small pimples",)),
    ("je vois des taches brunes sur les joues", CONCERN, ("dark patches",)),
    ("no halos, no floaters", ROUTINE, ()),
    ("pas de bulles", ROUTINE, ()),
    ("j'ai un peu mal quand je me réveille", ROUTINE, ("mild discomfort",)),
    ("ça me gratte", ROUTINE, ("mild itching",)),
    ("I haven't scratched at all", ROUTINE, ()),
    ("je me suis pas gratté", ROUTINE, ()),
    ("no darker than the rest", ROUTINE, ()),
    ("pas plus foncé qu'avant", ROUTINE, ()),
    ("not mottled at all", ROUTINE, ()),
    ("la peau est un peu chaude", ROUTINE, ()),
    ("c'est hot, j'adore le résultat", ROUTINE, ()),
    ("ça coule de source", ROUTINE, ()),
    ("took a bubble bath, was that ok?", ROUTINE, ("question",)),
    ("the sheet mask was leaking serum everywhere", ROUTINE, ()),
    ("I scratched my head reading the aftercare sheet", ROUTINE, ()),
    ("je me gratte la tête en lisant les consignes", ROUTINE, ("mild itching",)),
    ("mouchoir à la main pendant une heure, quel film", ROUTINE, ()),
    # Letter runs are squeezed ("worried" is read "woried"): a sign must not swallow other words
    ("the cream works great, worth every penny", ROUTINE, ()),
    ("see you in September", ROUTINE, ()),
    ("I use 2 oz of serum a week", ROUTINE, ()),
    ("on se revoit en septembre", ROUTINE, ()),
    ("my skin was scratchy and kind of rough", ROUTINE, ()),
    ("I sent messages at the skin clinic", ROUTINE, ()),
    # Past and since settled: "was", "the first day", then "now it's fine"; never for urgent signs
    ("it was swollen on day one, all fine now", ROUTINE, ()),
    ("had some burning the first night but it's gone now", ROUTINE, ()),
    ("ça chauffait au début mais c'est fini", ROUTINE, ()),
    ("la peau était douloureuse hier, là c'est correct", ROUTINE, ()),
    ("le premier jour ça brûlait, là tout est beau", ROUTINE, ()),
    ("ça a enflé mais c'est parti", ROUTINE, ()),
    ("had pus yesterday but it's fine now", URGENT, ("pus",)),
    ("it was swollen, is it fine?", CONCERN, ("swelling",)),
    ("ça a l'air enflé mais c'est correct", CONCERN, ("swelling",)),
    ("ça fait mal mais c'est correct", CONCERN, ("pain",)),
    ("it's swollen but it's fine", CONCERN, ("swelling",)),
    ("c'était enflé hier et c'est encore enflé", CONCERN, ("swelling", "swelling not going down")),
]

# (text, level, reasons exactly): signs that are no report about the patient now. Someone else's,
# long over, supposed, or a figure of speech; and the same words when they are a report.
SET_ASIDE: list[tuple[str, str, tuple[str, ...]]] = [
    ("my daughter has a fever", ROUTINE, ()),
    ("my son had hives last week, can I still come Friday?", ROUTINE, ("question",)),
    ("my husband came down with the flu", ROUTINE, ()),
    ("she caught a cold and has a fever", ROUTINE, ()),
    ("ma fille fait de la fièvre", ROUTINE, ()),
    ("mon chum a la grippe mais moi ça va", ROUTINE, ()),
    ("ma mère avait fait une réaction avec les lèvres enflées", ROUTINE, ()),
    ("my daughter has a fever and I have chills", URGENT, ("chills",)),
    ("my husband says I have a fever", URGENT, ("fever",)),
    ("mon chum dit que je fais de la fièvre", URGENT, ("fever",)),
    ("my friend had pus and I have pus too", URGENT, ("pus",)),
    ("my sister has the same pus as me", URGENT, ("pus",)),
    ("I had a fever the week before the treatment", ROUTINE, ()),
    ("had hives years ago, nothing since", ROUTINE, ()),
    ("j'avais fait de la fièvre avant le traitement (grippe)", ROUTINE, ()),
    ("j'ai eu un feu sauvage l'an passé", ROUTINE, ()),
    ("I had my first peel 2 years ago and now I have pus", URGENT, ("pus",)),
    ("I've had chills since before the treatment", URGENT, ("chills",)),
    ("Should I be worried if I get a fever?", ROUTINE, ("question",)),
    ("if my lips swell, who do I call?", ROUTINE, ("question",)),
    ("si jamais je fais de la fièvre, j'appelle qui?", ROUTINE, ("question",)),
    ("si jamais ça enfle, je vous appelle?", ROUTINE, ("question",)),
    ("au cas où ça coule, je fais quoi?", ROUTINE, ("question",)),
    ("is it normal if my lips are swollen?", URGENT, ("swelling of the lips",)),
    ("how do I know if it's infected?", ROUTINE, ("question",)),
    ("comment savoir si c'est infecté?", ROUTINE, ("question",)),
    # Asked and answered
    ("fever? nope! all good", ROUTINE, ()),
    ("du pus? non.", ROUTINE, ()),
    ("fever? no idea, I feel hot", URGENT, ("fever", "skin hot to the touch")),
    ("my skin is on fire, I look amazing", ROUTINE, ()),
    ("results so good I got chills", ROUTINE, ()),
    ("j'ai des frissons tellement c'est beau", ROUTINE, ()),
    ("je capote tellement ma peau est belle", ROUTINE, ()),
    ("je capote, c'est rouge", CONCERN, ("worried",)),
    ("ma peau est en feu... de beauté", ROUTINE, ()),
    ("des frissons juste à la regarder", ROUTINE, ()),
    ("Burning question: can I swim?", ROUTINE, ("question",)),
    ("question brûlante: je peux-tu nager?", ROUTINE, ("question",)),
    ("Résultat malade!!", ROUTINE, ()),
    ("I have chills and my skin looks amazing", URGENT, ("chills",)),
    ("it burns, but it looks amazing", CONCERN, ("burning or stinging",)),
    ("des frissons pis de la fièvre, mais c'est beau", URGENT, ("chills", "fever")),
    ("je suis malade depuis hier", URGENT, ("feeling unwell",)),
    # French says "not" after the verb
    ("la rougeur s'étend pas", ROUTINE, ()),
    ("ça coule pas", ROUTINE, ()),
    ("ça enfle pas mal", CONCERN, ("swelling",)),
    ("l'enflure du premier jour est toute partie", ROUTINE, ()),
    ("the swelling from day 1 is completely gone", ROUTINE, ()),
    ("it was swollen the first day but I'm fine now", ROUTINE, ()),
    ("the swelling I had is totally gone", ROUTINE, ()),
    ("had a bit of a headache after the treatment, gone now", ROUTINE, ()),
    ("what do I do if it blisters?", ROUTINE, ("question",)),
    ("I'm freaking out in a good way", ROUTINE, ()),
    ("skin is on fire (in a good way) lol", ROUTINE, ()),
    ("that was painless, thank you!", ROUTINE, ("thanks",)),
    ("my cat has a skin infection", ROUTINE, ()),
    # Movement said of redness named elsewhere in the reply
    ("it was red on my cheeks, now it's going down my neck", URGENT, ("spreading redness",)),
    ("c'est rendu dans le cou, la rougeur", URGENT, ("spreading redness",)),
    ("the redness is fine, it's not going down my neck", ROUTINE, ("mild redness",)),
    ("sweat going down my neck at the gym", ROUTINE, ()),
]

# Everyday words that also name a sign: routine unless said of the skin.
EVERYDAY: list[tuple[str, str]] = [
    ("Can I use my blue light mask?", ROUTINE),
    ("my grey roots are showing lol", ROUTINE),
    ("purple shampoo ok to use?", ROUTINE),
    ("feeling a bit blue today", ROUTINE),
    ("I have very white skin, can I tan?", ROUTINE),
    ("my skin is naturally pale, what SPF?", ROUTINE),
    ("j'ai mis mon chandail mauve", ROUTINE),
    ("the numbing cream worked great", ROUTINE),
    ("I was cracking up at the video", ROUTINE),
    ("my phone cracked lol all good", ROUTINE),
    ("je craque pour ma nouvelle peau", ROUTINE),
    ("a bit tingly but fine", ROUTINE),
    ("will it scar?", ROUTINE),
    ("I'm sick of waiting for the results", ROUTINE),
    ("I'm weak for this glow", ROUTINE),
    ("a faint pink mark", ROUTINE),
    ("sweat going down my neck at the gym", ROUTINE),
    ("my lip turned blue", URGENT),
    ("the skin is kind of grey", URGENT),
    ("ma lèvre est mauve", URGENT),
    ("des taches violettes en dentelle", URGENT),
    ("my lips are cracked", CONCERN),
    ("ma peau craque", CONCERN),
    ("I feel off today", CONCERN),
]

# (text, level, reasons exactly): numbers read as temperatures and pain scores.
NUMBERS: list[tuple[str, str, tuple[str, ...]]] = [
    ("pain is a 10", URGENT, ("severe pain",)),
    ("pain 7/10", URGENT, ("severe pain",)),
    ("10/10 pain", URGENT, ("severe pain",)),
    ("hurts like a 9.5 out of 10", URGENT, ("severe pain",)),
    ("douleur de 8", URGENT, ("severe pain",)),
    ("pain 2/10", ROUTINE, ("mild discomfort",)),
    ("pain is a 2", ROUTINE, ("mild discomfort",)),
    ("douleur 1 sur 10", ROUTINE, ("mild discomfort",)),
    ("pain is 5/10", CONCERN, ("pain",)),
    ("pain level: 9", URGENT, ("severe pain",)),
    ("the pain is 7-8", URGENT, ("severe pain",)),
    ("10/10 would recommend", ROUTINE, ()),
    ("pain started 10 days ago", CONCERN, ("pain", "pain persisting past a week")),
    ("some pain at 9:30 then less", ROUTINE, ("mild discomfort",)),
    ("temp 101.5", URGENT, ("fever",)),
    ("102.2 F", URGENT, ("fever",)),
    ("38.0 this morning", URGENT, ("fever",)),
    ("39°C", URGENT, ("fever",)),
    ("température de 38,6", URGENT, ("fever",)),
    ("I'm at 101 tonight", URGENT, ("fever",)),
    ("pas de fièvre, 36.8", ROUTINE, ()),
    ("temp 37.2 this morning", ROUTINE, ()),
    ("ma température est de 36,9", ROUTINE, ()),
    ("99.1 F so no fever", ROUTINE, ()),
    ("100.2 degrees", ROUTINE, ()),
    ("j'ai 39 ans", ROUTINE, ()),
    ("room 101 at 10:30", ROUTINE, ()),
    ("36.6 and 37.1 yesterday", ROUTINE, ()),
    ("j'ai pris ma température: 36,7", ROUTINE, ()),
    ("I paid 101.50 at the desk", ROUTINE, ()),
    ("I have a temperature. 3 days now", URGENT, ("fever",)),
    ("j'ai 40 boutons sur le menton", ROUTINE, ("small pimples",)),
    ("je suis à 38,2 ce soir", URGENT, ("fever",)),
]

# Spelling, accents, repeated letters, casual French: all read as the same word.
SPELLINGS: list[tuple[str, str]] = [
    ("FEVER", "fever"),
    ("feverrrr", "fever"),
    ("feaver", "fever"),
    ("fevr", "fever"),
    ("fievre", "fever"),
    ("fiévre", "fever"),
    ("FIÈVRE", "fever"),
    ("infecté", "possible infection"),
    ("infecter", "possible infection"),
    ("infection", "possible infection"),
    ("infectée", "possible infection"),
    ("du pus", "pus"),
    ("du pu", "pus"),
    ("ça pue", "pus"),
    ("puss", "pus"),
    ("enflé", "swelling"),
    ("enflure", "swelling"),
    ("gonflé", "swelling"),
    ("swolen", "swelling"),
    ("sooo swollennn", "swelling"),
    ("boutons", "small pimples"),
    ("bouttons", "small pimples"),
]

KEYWORDS: list[tuple[str, str | None]] = [
    *[(word, "stop") for word in ("STOP", "stopall", "Unsubscribe", "CANCEL", "end", "quit")],
    *[(word, "stop") for word in ("revoke", "OPTOUT", "opt-out", "ARRET", "Arrêt", "arrêt")],
    ("désabonner", "stop"),
    ("DESABONNER", "stop"),
    ("  stop  ", "stop"),
    ("Stop.", "stop"),
    ("STOP!!!", "stop"),
    ("\tArrêt !\n", "stop"),
    *[(word, "start") for word in ("START", "unstop", "Yes", "yes!", "Commencer")],
    *[(word, "help") for word in ("HELP", "help?", "Info", "AIDE", "aide")],
    # A sentence that merely contains a keyword is a reply.
    ("stop please", None),
    ("please stop texting me", None),
    ("STOP I have a fever", None),
    ("yes I have chills", None),
    ("I need help my lips are swollen", None),
    ("arrêtez", None),
    ("stopp", None),
    ("opt out", None),
    ("", None),
    ("...", None),
]


# (text, level, check-in number, reasons exactly): replies that answer the check-in question.
CHECKINS: list[tuple[str, str, int, tuple[str, ...]]] = [
    ("1", ROUTINE, 1, ("check-in 1",)),
    ("2.", CONCERN, 2, ("check-in 2",)),
    ("#3", URGENT, 3, ("check-in 3",)),
    ("3!", URGENT, 3, ("check-in 3",)),
    (" 3 ", URGENT, 3, ("check-in 3",)),
    ("\N{FULLWIDTH DIGIT THREE}", URGENT, 3, ("check-in 3",)),
    ("3\ufe0f\u20e3", URGENT, 3, ("check-in 3",)),  # the keycap emoji
    ("option 3", URGENT, 3, ("check-in 3",)),
    ("choix 2", CONCERN, 2, ("check-in 2",)),
    ("réponse 1", ROUTINE, 1, ("check-in 1",)),
    ("n°3", URGENT, 3, ("check-in 3",)),
    ("3)", URGENT, 3, ("check-in 3",)),
    ("(2)", CONCERN, 2, ("check-in 2",)),
    ("my answer is 2", CONCERN, 2, ("check-in 2",)),
    ("1 👍", ROUTINE, 1, ("check-in 1",)),
    ("1 merci!", ROUTINE, 1, ("check-in 1", "thanks")),
    ("Killer results, seriously. 1", ROUTINE, 1, ("check-in 1",)),
    ("all good! 1", ROUTINE, 1, ("check-in 1",)),
    # With words: the louder of the two, and both reasons.
    ("3 j'ai de la fièvre", URGENT, 3, ("check-in 3", "fever")),
    ("1 but my lips are swollen", URGENT, 1, ("swelling of the lips", "check-in 1")),
    ("2 not sure if this is normal", CONCERN, 2, ("check-in 2", "question")),
    ("2 chu pas sûre si c'est normal", CONCERN, 2, ("check-in 2", "question")),
    ("1 - a bit dry", ROUTINE, 1, ("check-in 1", "dryness")),
    ("2 the redness is spreading to my ear", URGENT, 2, ("spreading redness", "check-in 2")),
    ("3 - everything is fine actually", URGENT, 3, ("check-in 3",)),
    # A leading bare 2 or 3 before ordinary words is an answer: unsure means louder.
    ("2 pimples on my chin", CONCERN, 2, ("check-in 2", "small pimples")),
    # Two answers, or one corrected: the louder.
    ("2 ou 3 je sais pas", URGENT, 3, ("check-in 3",)),
    ("2 or 3, idk", URGENT, 3, ("check-in 3",)),
    ("2- c'est plus rouge qu'hier", CONCERN, 2, ("check-in 2", "getting worse")),
    ("2... actually no, 3. I have a fever now", URGENT, 3, ("check-in 3", "fever")),
]

# Numbers that are no check-in answer: measures, days, scores, ordinals, counts, other numbers.
NOT_CHECKINS: list[str] = [
    "3 days in and all good",
    "3e jour pis tout va bien",
    "2nd day, all fine",
    "1 week later, fine",
    "2 more weeks until my next session",
    "8/10",
    "2/10",
    "1 out of 10",
    "39.5",
    "100.4",
    "37,2",
    "2.5",
    "10 am",
    "3 pm",
    "3h30",
    "3x a day",
    "2-3 petits boutons",
    "2 ou 3 boutons",
    "2 or 3 days",
    "1 to 2 pimples",
    "2 of the spots",
    "3 de mes boutons",
    "2 questions: can I swim?",
    "4",
    "12",
    "0",
    "This deal is to die for, can I buy a package of 3?",
    "photo 1 of 3",
    "All good 1 day after",
    "j'ai 3 boutons",
    # A practitioner's acknowledgement of alert 3 (alerts.parse_ack), never a patient's answer
    "ok 3",
    "OK. 3",
    "okay 2",
]

# (text, asks something)
QUESTIONS: list[tuple[str, bool]] = [
    ("est-ce normal?", True),
    ("Can I wear makeup?", True),
    ("can I wear makeup", True),
    ("je peux tu aller au gym", True),
    ("je peux-tu remettre mon rétinol", True),
    ("Is it normal to be this red on day 2", True),
    ("When can I go back to the gym", True),
    ("How long does the peeling last", True),
    ("quand est-ce que je peux me maquiller", True),
    ("c'est tu normal que ça pèle", True),
    ("combien de temps ça dure", True),
    ("I was wondering if I can swim", True),
    ("je me demandais si je peux aller au spa", True),
    ("Sorry who is this?", True),
    ("3?", True),
    ("fever? nope! all good", False),
    ("fever? no idea", True),
    ("Thanks!", False),
    ("merci beaucoup", False),
    ("Thanks for checking in! Skin is glowing", False),
    ("1", False),
    ("When I wash my face it stings", False),
    ("quand je me lave ça chauffe un peu", False),
    ("je peux pas ouvrir l'oeil", False),
    ("my lips are swollen", False),
    ("STOP", False),
]


def case_id(text: str) -> str:
    return text[:40] or "<empty>"


@pytest.mark.parametrize(("text", "level", "reason"), SIGNS, ids=[case_id(c[0]) for c in SIGNS])
def test_signs(text: str, level: str, reason: str) -> None:
    result = classify(text)
    assert (result.level, result.keyword) == (level, None), result
    assert reason in result.reasons, result


@pytest.mark.parametrize(
    ("text", "level", "reasons"), NEGATIONS, ids=[case_id(c[0]) for c in NEGATIONS]
)
def test_negation_and_its_scope(text: str, level: str, reasons: tuple[str, ...]) -> None:
    assert classify(text)[:3] == (level, None, reasons)


@pytest.mark.parametrize(
    ("text", "level", "reasons"), SET_ASIDE, ids=[case_id(c[0]) for c in SET_ASIDE]
)
def test_what_is_not_a_report_about_the_patient_now(
    text: str, level: str, reasons: tuple[str, ...]
) -> None:
    assert classify(text)[:3] == (level, None, reasons)


@pytest.mark.parametrize(("text", "level"), EVERYDAY, ids=[case_id(c[0]) for c in EVERYDAY])
def test_everyday_words_that_also_name_a_sign(text: str, level: str) -> None:
    assert classify(text).level == level


@pytest.mark.parametrize(("text", "level", "reasons"), NUMBERS, ids=[c[0] for c in NUMBERS])
def test_temperatures_and_pain_scores(text: str, level: str, reasons: tuple[str, ...]) -> None:
    assert classify(text)[:3] == (level, None, reasons)


@pytest.mark.parametrize(("text", "reason"), SPELLINGS, ids=[c[0] for c in SPELLINGS])
def test_word_forms_and_spellings(text: str, reason: str) -> None:
    assert reason in classify(text).reasons


@pytest.mark.parametrize(("text", "keyword"), KEYWORDS, ids=[repr(c[0]) for c in KEYWORDS])
def test_keywords(text: str, keyword: str | None) -> None:
    assert keyword_of(text) == keyword
    result = classify(text)
    assert result.keyword == keyword
    if keyword is not None:
        assert result == Triage(ROUTINE, keyword, ())


@pytest.mark.parametrize(
    ("text", "level", "number", "reasons"), CHECKINS, ids=[repr(c[0]) for c in CHECKINS]
)
def test_checkin_answers(text: str, level: str, number: int, reasons: tuple[str, ...]) -> None:
    result = classify(text)
    assert (result.level, result.keyword, result.reasons, result.checkin) == (
        level,
        None,
        reasons,
        number,
    ), result


@pytest.mark.parametrize("text", NOT_CHECKINS)
def test_numbers_that_are_no_checkin_answer(text: str) -> None:
    assert checkin_of(text) is None
    result = classify(text)
    assert result.checkin is None, result
    assert not any(reason.startswith("check-in") for reason in result.reasons), result


@pytest.mark.parametrize("text", ["OK 12", "ok12", "OK #7.", "okay 3", "OK 2", "ok 1"])
def test_an_acknowledgement_stays_an_acknowledgement(text: str) -> None:
    assert parse_ack(text) is not None
    assert classify(text).checkin is None


def test_acknowledgement_and_checkin_numbers_do_not_mix() -> None:
    assert parse_ack("OK 12") == 12
    assert parse_ack("3") is None
    assert classify("3").checkin == 3


@pytest.mark.parametrize(("text", "asks"), QUESTIONS, ids=[repr(c[0]) for c in QUESTIONS])
def test_question(text: str, asks: bool) -> None:
    assert classify(text).question is asks


def test_new_fields_keep_positional_compatibility() -> None:
    level, keyword, reasons, *_ = classify("I have a fever")
    assert (level, keyword, reasons) == (URGENT, None, ("fever",))
    assert Triage(ROUTINE, None, ()) == (ROUTINE, None, (), None, False)
    assert Triage._fields == ("level", "keyword", "reasons", "checkin", "question")


def test_a_keyword_sentence_is_still_triaged() -> None:
    assert classify("STOP I have a fever") == Triage(URGENT, None, ("fever",))


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("worried it might be infected", URGENT),  # unsure between two: the louder
        (
            "Hi, thanks for checking in. Day 2 has been fine overall, some redness and tightness "
            "as expected. However this morning I noticed a few spots with yellowish discharge "
            "near my jawline. Should I be concerned?",
            URGENT,
        ),
        (
            "Hi! Everything is going well. The redness went down a lot and my skin feels a bit "
            "dry, which I think is normal. No pain, no swelling. Thanks!",
            ROUTINE,
        ),
        (
            "Bonjour, merci pour le suivi. Hier soir j'ai commencé à faire de la fièvre (38,4). "
            "La peau est correcte sinon.",
            URGENT,
        ),
        ("Bonjour, tout se passe bien. Un peu de rougeur au début, là ça pèle. Merci!", ROUTINE),
        ("merci mais j'ai la face enflée pis les yeux fermés à moitié", URGENT),
        ("lol my face looks like a tomato but it doesn't hurt", ROUTINE),
        ("Hives popped up on my neck", URGENT),
        ("Will the redness be gone in a week?", ROUTINE),
        ("is this pus?", URGENT),
        ("ok", ROUTINE),
        ("see you on Friday", ROUTINE),
        ("", ROUTINE),
        ("🙂🙂", ROUTINE),
    ],
)
def test_level(text: str, level: str) -> None:
    assert classify(text).level == level


def test_reasons_are_loudest_first_and_unique() -> None:
    result = classify("I'm worried, there's pus and a fever, pus everywhere, a bit dry")
    assert result.level == URGENT
    assert result.reasons == ("pus", "fever", "worried")


def test_routine_reasons_are_listed_only_when_nothing_is_louder() -> None:
    assert classify("thanks! a bit dry and peeling").reasons == ("thanks", "dryness", "peeling")
    assert classify("thanks! a bit dry but my lips are swollen").reasons == (
        "swelling of the lips",
    )


def test_every_reason_of_the_lexicon_is_tested() -> None:
    labels = {sign.reason for sign in (*lexicon.EN_SIGNS, *lexicon.FR_SIGNS)}
    labels |= set(lexicon.PERSISTING.values())
    tested = {reason for _, _, reason in SIGNS}
    assert labels - tested == set()


def test_every_table_name_in_a_pattern_is_filled_in() -> None:
    # A sign written r""" instead of rf""" keeps "{SIZE_FR}" as text and never matches.
    unfilled = [
        sign.reason
        for sign in (*lexicon.EN_SIGNS, *lexicon.FR_SIGNS)
        if re.search(r"\{[A-Z_]+\}", sign.pattern)
    ]
    assert unfilled == []


def test_both_languages_use_the_same_labels_and_known_levels() -> None:
    english = {(sign.reason, sign.level) for sign in lexicon.EN_SIGNS}
    french = {(sign.reason, sign.level) for sign in lexicon.FR_SIGNS}
    assert french <= english
    assert {level for _, level in english} == set(LEVELS)


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("Ça N\N{RIGHT SINGLE QUOTATION MARK}ARRÊTE pas!!", "ca n arete pas |"),
        ("I can't, won't, didn't", "i can not , wil not , did not"),
        ("no fever (a cold), pus", "no fever ; a cold , pus"),
        ("((((", ";"),
        ("38,5°C... œil", "38.5 c | oeil"),
        ("Is it OK?\nThx", "is it ok ? thx"),
    ],
)
def test_normalise(text: str, normalised: str) -> None:
    assert normalise(text) == normalised


def test_long_and_hostile_input_does_not_hang() -> None:
    # A guard against catastrophic backtracking, not a speed target (bench.triage_speed has
    # those): these take ~50 ms here, while a backtracking pattern would take minutes.
    # The later four broke once: overlapping alternatives in a repeated group ("tout" read two
    # ways), unbounded runs of signs before a check-in number, every position a word start.
    hostile = ["no pus " * 2000, "?!" * 5000, "bleeding and " * 1500, "a" * 20000]
    hostile += ["#" * 20000, "tout " * 5000, "the " * 5000, "(" * 10000]
    for text in hostile:
        started = time.perf_counter()
        classify(text)
        assert time.perf_counter() - started < 5.0, text[:20]
