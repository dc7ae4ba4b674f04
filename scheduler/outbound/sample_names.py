"""Two hundred common first names of Ottawa-Gatineau patients, to price every SMS against.

A mix of French-Canadian names (accents, diaeresis, hyphens: Marie-Ève, François, Benoît,
Gaëlle, Zoë) and English-Canadian ones. tests/outbound/test_names_table.py renders every step
of every kind with each of them; the start-up check uses the longest.
"""

from __future__ import annotations

from scheduler.outbound.segments import count_segments
from scheduler.outbound.transliterate import to_gsm7


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FRENCH_CANADIAN: tuple[str, ...] = _names(
    """
    Marie Marie-Ève Marie-Josée Marie-Claude Marie-Pier Marie-Soleil Marie-Christine
    Marie-Hélène Marie-France Marie-Andrée Marie-Michèle Marie-Noëlle Marie-Élisabeth
    Anne-Marie Anne-Sophie Anne-Frédérique Julie Geneviève Isabelle Nathalie Chantal Sylvie
    Josée Mélanie Mélissa Véronique Stéphanie Émilie Catherine Caroline Valérie Annie Karine
    Audrey Andréanne Laurence Léa Chloé Noémie Zoë Zoé Gaëlle Anaïs Maëlle Maëva Éloïse Héloïse
    Béatrice Rosalie Florence Camille Justine Frédérique Gabrielle Élodie Océane Coralie Ariane
    Maude Joëlle Noëlla Hélène Francine Ginette Lise Diane Jocelyne Lucie Manon Louise Thérèse
    Ève Cécile Françoise Solène Clémence Ophélie Aurélie Raphaëlle Inès
    François Benoît Jérôme Jean-François Jean-Philippe Jean-Sébastien Pierre-Luc Pierre-Olivier
    Marc-André Jean-Christophe Louis-Philippe Luc Stéphane Frédéric Sébastien Mathieu Maxime
    Olivier Étienne Félix Jérémie Zacharie Noël Raphaël Gaël Loïc Mickaël Joël Rémi Réjean
    Gaétan Ghislain Sylvain Éric André René Gérard Hugues Denis Yannick Alexandre
    Gabriel Émile Léo Théo Antoine Xavier Jacques Michel Jean-Benoît
    """
)

ENGLISH_CANADIAN: tuple[str, ...] = _names(
    """
    Emily Olivia Emma Ava Charlotte Sophia Amelia Chloe Hannah Sarah Jessica Jennifer Ashley
    Amanda Megan Lauren Rachel Samantha Nicole Michelle
    Elizabeth Mary Margaret Katherine Christine Alexandra Victoria Madison Abigail Grace Lily
    Avery Brooklyn Kayla Brittany Courtney Erin Kelly Laura Natalie Taylor
    Liam Noah Ethan Benjamin Lucas Jacob Logan Owen James Michael David John Robert Daniel
    Matthew Christopher Andrew Joshua Ryan Tyler Kevin Brian Justin Connor Dylan Evan Wyatt
    Nathaniel William
    """
)

FIRST_NAMES: tuple[str, ...] = FRENCH_CANADIAN + ENGLISH_CANADIAN


def sms_cost(name: str) -> int:
    """What a name costs in an SMS once spelled in GSM-7 (septets)."""
    return count_segments(to_gsm7(name)).units


def longest_name() -> str:
    """The name that costs the most septets: the worst case for every SMS."""
    return max(FIRST_NAMES, key=lambda name: (sms_cost(name), name))
