"""Every source hedgesim cites (its bibliography), in one table, by the short key code and docs use
(``[Kuik2008]``). Not to be confused with :mod:`sim.reference`, the generated tables of docs/model.md.

docs/references.bib and docs/references.md are written from this table (``python -m sim.sources``)
and a test checks they are up to date. For the five news articles only what the articles themselves
state is recorded: no author where the article names none, no URL where none was kept.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Kind(StrEnum):
    """The BibTeX entry type."""

    ARTICLE = "article"
    BOOK = "book"
    PROCEEDINGS = "inproceedings"
    MISC = "misc"


class Topic(StrEnum):
    """Where a source is used; the sections of docs/references.md."""

    ARTICLES = "The five source articles"
    HEDGING = "Vietnam, hedging and asymmetry"
    OBSERVED = "Dates of the observed facts (docs/validation.md)"
    MODELLING = "Modelling practice"
    EXPERIMENTS = "Experiments and sensitivity analysis"


@dataclass(frozen=True)
class Reference:
    """One source: ``short`` is what a reader sees beside the key (``The Diplomat, Dec 2023``)."""

    key: str
    kind: Kind
    topic: Topic
    short: str
    title: str
    outlet: str
    date: str  # as precise as the source states it: "2008", "Dec 2023", "8 Nov 2022"
    authors: tuple[str, ...] = ()  # "Family, Given"; empty when the source names no author
    verbatim_author: bool = False  # names kept as written: an organisation, a Vietnamese name
    volume: str = ""
    number: str = ""
    pages: str = ""
    publisher: str = ""
    address: str = ""
    doi: str = ""
    url: str = ""
    note: str = ""
    used_for: str = ""
    extra: tuple[tuple[str, str], ...] = ()  # further BibTeX fields

    @property
    def year(self) -> str:
        return self.date[-4:] if self.date[-4:].isdigit() else ""

    @property
    def link(self) -> str:
        return self.url or (f"https://doi.org/{self.doi}" if self.doi else "")


NEWS = Topic.ARTICLES
OBS = Topic.OBSERVED
REFERENCES: tuple[Reference, ...] = (
    # ------------------------------------------------------------------ the five source articles
    Reference("VOA2023", Kind.MISC, NEWS, "VOA, Dec 2023",
              "Hanoi Embraces Future With China to Reassure Beijing, Experts Say", "Voice of America (VOA)",
              "Dec 2023", note="No byline in the copy used; An Hai is credited as contributing. "
              "Its photo caption dates the Xi-Thuong meeting in Hanoi 13 Dec 2023.",
              used_for="the 2023 upgrade to a 'community of shared future'; 36 documents signed and about "
              "ten refused (critical minerals); US and Japan comprehensive strategic partnerships of Sept "
              "and Nov 2023; trade above $175bn; the fishery hotline; experts' view of form over substance"),
    Reference("Grossman2023", Kind.MISC, NEWS, "Derek Grossman (RAND), Dec 2023",
              "Commentary on Xi Jinping's December 2023 visit to Vietnam", "RAND Corporation", "Dec 2023",
              authors=("Grossman, Derek",),
              note="The copy used carries no headline; the title given here is descriptive.",
              used_for="'bamboo diplomacy'; the history of Vietnam's partnership tiers (China 2008; India, "
              "Russia; then Korea, the US, Japan); 36 of 45 pacts signed; the rare-earth deal not signed; "
              "Mekong dams and the Cambodian naval base; the limits of China's influence"),
    Reference("SCMP2023", Kind.MISC, NEWS, "South China Morning Post, Dec 2023",
              "In Vietnam, a 'shared destiny' and the US are likely to be high on Xi Jinping's agenda",
              "South China Morning Post (SCMP)", "Dec 2023",
              note="No byline in the copy used (a syndicated reprint); additional reporting by Laura Zhou.",
              used_for="Beijing's unease at the US and Japan upgrades; the Four Nos (no alliances, no "
              "foreign bases, no siding with one country against another, no use of force); equidistance "
              "'as long as China is not overly aggressive'; regime-security wariness of the West"),
    Reference("Heydarian2022", Kind.MISC, NEWS, "Heydarian, Asia Times, 8 Nov 2022",
              "China-Vietnam in warm, new communist embrace", "Asia Times", "8 Nov 2022",
              authors=("Heydarian, Richard Javad",),
              used_for="Nguyen Phu Trong's 2022 Beijing visit; the 'Three Nos'; the multi-vector policy; "
              "'porcupine' deterrence and Russian arms (more than half of Russia's regional arms exports); "
              "sanctions and CAATSA eroding Russia as a supplier; US democracy promotion viewed with "
              "suspicion; supply-chain dependence on Chinese inputs"),
    Reference("Diplomat2023", Kind.MISC, NEWS, "The Diplomat, Dec 2023",
              "Vietnam and China Announce Major Upgrade in Relations During Xi Visit", "The Diplomat",
              "Dec 2023", note="ASEAN Beat section. No byline in the copy used.",
              used_for="the policy of assurance (always prioritise Beijing; ties with others are not "
              "anti-China); deterrence by assurance against deterrence by force; 'One Depend'; the "
              "crises of 2014 (HD-981), 2017 (drilling threat), 2019 (survey ship) and 2023, all ended "
              "without force"),
    # ------------------------------------------------------------------ Vietnam, hedging and asymmetry
    Reference("Kuik2008", Kind.ARTICLE, Topic.HEDGING, "Kuik 2008, Contemporary Southeast Asia",
              "The Essence of Hedging: Malaysia and Singapore's Response to a Rising China",
              "Contemporary Southeast Asia", "2008", authors=("Kuik, Cheng-Chwee",), volume="30",
              number="2", pages="159-185", doi="10.1355/cs30-2a",
              used_for="hedging between balancing and bandwagoning; its five components, the axes of "
              "Vietnam's posture and of the hedging index"),
    Reference("Kuik2016", Kind.ARTICLE, Topic.HEDGING, "Kuik 2016, Journal of Contemporary China",
              "How Do Weaker States Hedge? Unpacking ASEAN States' Alignment Behavior towards China",
              "Journal of Contemporary China", "2016", authors=("Kuik, Cheng-Chwee",), volume="25",
              number="100", pages="500-514", doi="10.1080/10670564.2015.1132714",
              used_for="returns-maximising and risk-contingency moves paired; actions tagged by both"),
    Reference("Kuik2021", Kind.ARTICLE, Topic.HEDGING, "Kuik 2021, China International Strategy Review",
              "Getting hedging right: a small-state perspective", "China International Strategy Review",
              "2021", authors=("Kuik, Cheng-Chwee",), volume="3", number="2", pages="300-315",
              doi="10.1007/s42533-021-00089-5",
              used_for="hedging persists under high stakes and uncertainty; the regime switches to "
              "bandwagoning or balancing"),
    Reference("LeHongHiep2013", Kind.ARTICLE, Topic.HEDGING, "Le Hong Hiep 2013, Contemporary Southeast Asia",
              "Vietnam's Hedging Strategy against China since Normalization", "Contemporary Southeast Asia",
              "2013", authors=("Le Hong Hiep",), verbatim_author=True, volume="35", number="3",
              pages="333-368", doi="10.1355/cs35-3b",
              used_for="Vietnam's multi-tiered hedging (economic pragmatism, direct engagement, hard and "
              "soft balancing): the action families"),
    Reference("Thayer2011", Kind.ARTICLE, Topic.HEDGING, "Thayer 2011, Contemporary Southeast Asia",
              "The Tyranny of Geography: Vietnamese Strategies to Constrain China in the South China Sea",
              "Contemporary Southeast Asia", "2011", authors=("Thayer, Carlyle A.",), volume="33",
              number="3", pages="348-369", doi="10.1355/cs33-3b",
              used_for="'cooperation and struggle'; protest an incident without downgrading the tie"),
    Reference("Womack2006", Kind.BOOK, Topic.HEDGING, "Womack 2006, Cambridge University Press",
              "China and Vietnam: The Politics of Asymmetry", "Cambridge University Press", "2006",
              authors=("Womack, Brantly",), publisher="Cambridge University Press", address="Cambridge",
              doi="10.1017/CBO9780511610082",
              used_for="asymmetry: deference exchanged for acknowledged autonomy (deterrence by assurance)"),
    Reference("Schelling1966", Kind.BOOK, Topic.HEDGING, "Schelling 1966, Yale University Press",
              "Arms and Influence", "Yale University Press", "1966", authors=("Schelling, Thomas C.",),
              publisher="Yale University Press", address="New Haven, CT",
              used_for="compellence: a threat that makes the other side stop what it is doing, weighed by "
              "what the threatened side stands to lose (China's direct threat of force)"),
    Reference("Fearon1994", Kind.ARTICLE, Topic.HEDGING, "Fearon 1994, American Political Science Review",
              "Domestic Political Audiences and the Escalation of International Disputes",
              "American Political Science Review", "1994", authors=("Fearon, James D.",), volume="88",
              number="3", pages="577-592", doi="10.2307/2944796",
              used_for="audience costs: a public threat costs the leader who makes it and backs down, "
              "so a threat is priced on its own (China's threat_cost)"),
    Reference("DWP2019", Kind.BOOK, Topic.HEDGING, "Vietnam's 2019 Defence White Paper",
              "2019 Viet Nam National Defence", "Ministry of National Defence of Viet Nam", "2019",
              authors=("Ministry of National Defence of the Socialist Republic of Viet Nam",),
              verbatim_author=True, publisher="National Political Publishing House", address="Hanoi",
              note="Vietnam's national defence white paper.",
              used_for="the Four Nos and One Depend"),
    Reference("SIPRI", Kind.MISC, Topic.HEDGING, "SIPRI Arms Transfers Database",
              "SIPRI Arms Transfers Database", "Stockholm International Peace Research Institute (SIPRI)",
              "", authors=("Stockholm International Peace Research Institute",), verbatim_author=True,
              url="https://www.sipri.org/databases/armstransfers",
              note="Trend-indicator values of major conventional arms transfers; accessed for the "
              "Russian share of Vietnam's arms imports.",
              used_for="Russia's share of Vietnam's arms imports and its decline"),
    # ------------------------------------------------------------------ dates of the observed facts
    Reference("IMFWEO2024", Kind.MISC, Topic.HEDGING, "IMF World Economic Outlook database",
              "World Economic Outlook Database: Gross domestic product, current prices (U.S. dollars)",
              "International Monetary Fund", "2024", authors=("International Monetary Fund",),
              verbatim_author=True, url="https://www.imf.org/en/Publications/WEO",
              note="Annual GDP 2013-2023, averaged and rounded for each partner.",
              used_for="each partner's economic size in the gravity weight of trade"),
    Reference("Sinnott1984", Kind.ARTICLE, Topic.HEDGING, "Sinnott 1984, Sky and Telescope",
              "Virtues of the Haversine", "Sky and Telescope", "1984", authors=("Sinnott, Roger W.",),
              volume="68", number="2", pages="159",
              used_for="great-circle distances between Hanoi and the partners' capitals (haversine, "
              "mean Earth radius 6,371 km)"),
    Reference("MND2009", Kind.MISC, OBS, "Vietnam's 2009 Defence White Paper", "Vietnam National Defence",
              "Ministry of National Defence of Viet Nam", "Dec 2009",
              authors=("Ministry of National Defence of the Socialist Republic of Viet Nam",),
              verbatim_author=True, note="Vietnam's national defence white paper.",
              used_for="the Three Nos before 2019"),
    Reference("CSIS2017", Kind.BOOK, OBS, "Green et al. 2017, CSIS",
              "Countering Coercion in Maritime Asia: The Theory and Practice of Gray Zone Deterrence",
              "Center for Strategic and International Studies", "2017",
              authors=("Green, Michael", "Hicks, Kathleen", "Cooper, Zack", "Schaus, John", "Douglas, Jake"),
              publisher="Rowman & Littlefield", address="Lanham, MD",
              used_for="the HD-981 oil rig standoff of May-Jul 2014 and its end"),
    Reference("Hayton2017", Kind.MISC, OBS, "Hayton, BBC News, 24 Jul 2017",
              "South China Sea: Vietnam halts drilling after 'China threats'", "BBC News", "24 Jul 2017",
              authors=("Hayton, Bill",), used_for="the Repsol halt in block 136-03, Jul 2017"),
    Reference("Hayton2018", Kind.MISC, OBS, "Hayton, BBC News, 23 Mar 2018",
              "Vietnam 'cancels' South China Sea oil drilling", "BBC News", "23 Mar 2018",
              authors=("Hayton, Bill",), used_for="the Repsol halt in block 07/03 (Ca Rong Do), Mar 2018"),
    Reference("Reuters2019", Kind.MISC, OBS, "Reuters, 24 Oct 2019",
              "Report that China's survey ship Haiyang Dizhi 8 left Vietnam's exclusive economic zone",
              "Reuters", "24 Oct 2019", note="Title descriptive; the report rests on ship-tracking data.",
              used_for="the end of the Haiyang Dizhi 8 standoff"),
    Reference("VNMOFA2020", Kind.MISC, OBS, "Viet Nam Ministry of Foreign Affairs, 4 Apr 2020",
              "Spokesperson's protest at the sinking of fishing boat QNg 90617 TS near the Paracels",
              "Ministry of Foreign Affairs of Viet Nam", "4 Apr 2020", note="Title descriptive.",
              used_for="the fishing boat sunk near the Paracels, Apr 2020"),
    Reference("Kremlin2012", Kind.MISC, OBS, "Russia-Viet Nam joint statement, Sochi, 27 Jul 2012",
              "Joint statement on the Russia-Viet Nam comprehensive strategic partnership",
              "President of Russia", "27 Jul 2012", note="Title descriptive.",
              used_for="Russia's comprehensive strategic partnership"),
    Reference("WhiteHouse2013", Kind.MISC, OBS, "The White House, 25 Jul 2013",
              "Joint Statement by President Barack Obama of the United States of America and President "
              "Truong Tan Sang of the Socialist Republic of Vietnam", "The White House", "25 Jul 2013",
              note="An official statement; no personal author.",
              used_for="the US comprehensive partnership"),
    Reference("MOFAJ2014", Kind.MISC, OBS, "Ministry of Foreign Affairs of Japan, 18 Mar 2014",
              "Joint Statement on the Establishment of the Extensive Strategic Partnership for Peace and "
              "Prosperity in Asia between Japan and Viet Nam", "Ministry of Foreign Affairs of Japan",
              "18 Mar 2014", note="An official statement; no personal author.",
              used_for="Japan's extensive strategic partnership"),
    Reference("MEA2016", Kind.MISC, OBS, "Ministry of External Affairs of India, 3 Sep 2016",
              "India-Vietnam Joint Statement during the State Visit of the Prime Minister to Vietnam",
              "Ministry of External Affairs of India", "3 Sep 2016",
              note="An official statement; no personal author.",
              used_for="India's comprehensive strategic partnership"),
    Reference("ROK2009", Kind.MISC, OBS, "Korea-Viet Nam joint statement, Hanoi, Oct 2009",
              "Joint statement on the strategic cooperative partnership (Lee Myung-bak's state visit)",
              "Republic of Korea and Viet Nam", "Oct 2009", note="Title descriptive.",
              used_for="South Korea's strategic partnership"),
    Reference("ROK2022", Kind.MISC, OBS, "Korea-Viet Nam joint statement, Seoul, 5 Dec 2022",
              "Joint statement on the comprehensive strategic partnership", "Republic of Korea and Viet Nam",
              "5 Dec 2022", note="Title descriptive.",
              used_for="South Korea's comprehensive strategic partnership"),
    Reference("WhiteHouse2023", Kind.MISC, OBS, "The White House, Sep 2023",
              "Joint Leaders' Statement: Elevating United States-Vietnam Relations to a Comprehensive "
              "Strategic Partnership", "The White House", "Sep 2023",
              note="An official statement; no personal author.",
              used_for="the US comprehensive strategic partnership"),
    Reference("PMA2024", Kind.MISC, OBS, "Prime Minister of Australia, 7 Mar 2024",
              "Joint Statement on the Establishment of a Comprehensive Strategic Partnership between "
              "Australia and Viet Nam", "Prime Minister of Australia", "7 Mar 2024",
              note="An official statement; no personal author.",
              used_for="Australia's comprehensive strategic partnership"),
    # ------------------------------------------------------------------ modelling practice
    Reference("Grimm2005", Kind.ARTICLE, Topic.MODELLING, "Grimm et al. 2005, Science",
              "Pattern-Oriented Modeling of Agent-Based Complex Systems: Lessons from Ecology", "Science",
              "2005", authors=("Grimm, Volker", "Revilla, Eloy", "Berger, Uta", "Jeltsch, Florian",
                               "Mooij, Wolf M.", "Railsback, Steven F.", "Thulke, Hans-Hermann",
                               "Weiner, Jacob", "Wiegand, Thorsten", "DeAngelis, Donald L."),
              volume="310", number="5750", pages="987-991", doi="10.1126/science.1116681",
              used_for="pattern-oriented validation: several patterns at once, not one fitted curve"),
    Reference("Grimm2006", Kind.ARTICLE, Topic.MODELLING, "Grimm et al. 2006, Ecological Modelling",
              "A standard protocol for describing individual-based and agent-based models",
              "Ecological Modelling", "2006",
              authors=("Grimm, Volker", "Berger, Uta", "Bastiansen, Finn", "Eliassen, Sigrunn",
                       "Ginot, Vincent", "Giske, Jarl", "Goss-Custard, John", "Grand, Tamara",
                       "Heinz, Simone K.", "Huse, Geir", "others"),
              volume="198", number="1-2", pages="115-126", doi="10.1016/j.ecolmodel.2006.04.023",
              used_for="the ODD protocol (Overview, Design concepts, Details) of docs/model.md"),
    Reference("Grimm2010", Kind.ARTICLE, Topic.MODELLING, "Grimm et al. 2010, Ecological Modelling",
              "The ODD protocol: A review and first update", "Ecological Modelling", "2010",
              authors=("Grimm, Volker", "Berger, Uta", "DeAngelis, Donald L.", "Polhill, J. Gary",
                       "Giske, Jarl", "Railsback, Steven F."),
              volume="221", number="23", pages="2760-2768", doi="10.1016/j.ecolmodel.2010.08.019",
              used_for="the ODD protocol, first update"),
    Reference("Grimm2020", Kind.ARTICLE, Topic.MODELLING, "Grimm et al. 2020, JASSS",
              "The ODD Protocol for Describing Agent-Based and Other Simulation Models: A Second Update to "
              "Improve Clarity, Replication, and Structural Realism",
              "Journal of Artificial Societies and Social Simulation", "2020",
              authors=("Grimm, Volker", "Railsback, Steven F.", "Vincenot, Christian E.", "Berger, Uta",
                       "Gallagher, Cara", "DeAngelis, Donald L.", "Edmonds, Bruce", "Ge, Jiaqi",
                       "Giske, Jarl", "Groeneveld, Jürgen", "others"),
              volume="23", number="2", pages="7", doi="10.18564/jasss.4259",
              used_for="the ODD protocol, second update: the structure of docs/model.md"),
    Reference("Mesa2025", Kind.ARTICLE, Topic.MODELLING, "ter Hoeven et al. 2025, JOSS (Mesa 3)",
              "Mesa 3: Agent-based modeling with Python in 2025", "Journal of Open Source Software", "2025",
              authors=("ter Hoeven, Ewout", "Kwakkel, Jan", "Hess, Vincent", "Pike, Thomas", "Wang, Boyu",
                       "rht", "Kazil, Jackie"),
              volume="10", number="107", pages="7668", doi="10.21105/joss.07668",
              used_for="the agent-based modelling framework the model is built on"),
    Reference("Axelrod1984", Kind.BOOK, Topic.MODELLING, "Axelrod 1984, The Evolution of Cooperation",
              "The Evolution of Cooperation", "Basic Books", "1984", authors=("Axelrod, Robert",),
              publisher="Basic Books", address="New York",
              used_for="strategies as small, named, separately testable rules"),
    Reference("Kool2019", Kind.PROCEEDINGS, Topic.MODELLING, "Kool, van Hoof & Welling 2019, ICML",
              "Stochastic Beams and Where to Find Them: The Gumbel-Top-k Trick for Sampling Sequences "
              "Without Replacement", "Proceedings of the 36th International Conference on Machine Learning",
              "2019", authors=("Kool, Wouter", "van Hoof, Herke", "Welling, Max"), volume="97",
              pages="3499-3508", url="https://proceedings.mlr.press/v97/kool19a.html",
              extra=(("series", "Proceedings of Machine Learning Research"),),
              used_for="the Gumbel-top-k trick by which Vietnam samples its moves"),
    Reference("Toni2009", Kind.ARTICLE, Topic.MODELLING, "Toni et al. 2009, J. R. Soc. Interface",
              "Approximate Bayesian computation scheme for parameter inference and model selection in "
              "dynamical systems", "Journal of the Royal Society Interface", "2009",
              authors=("Toni, Tina", "Welch, David", "Strelkowa, Natalja", "Ipsen, Andreas",
                       "Stumpf, Michael P. H."), volume="6", number="31", pages="187-202",
              doi="10.1098/rsif.2008.0172", used_for="ABC by sequential Monte Carlo (hedgesim calibrate)"),
    Reference("Klinger2018", Kind.ARTICLE, Topic.MODELLING, "Klinger et al. 2018, Bioinformatics (pyABC)",
              "pyABC: distributed, likelihood-free inference", "Bioinformatics", "2018",
              authors=("Klinger, Emmanuel", "Rickert, Dennis", "Hasenauer, Jan"), volume="34", number="20",
              pages="3591-3593", doi="10.1093/bioinformatics/bty361",
              used_for="the ABC-SMC library hedgesim calibrate runs"),
    # ------------------------------------------------------------------ experiments and sensitivity
    Reference("McKay1979", Kind.ARTICLE, Topic.EXPERIMENTS, "McKay, Beckman & Conover 1979, Technometrics",
              "A Comparison of Three Methods for Selecting Values of Input Variables in the Analysis of "
              "Output from a Computer Code", "Technometrics", "1979",
              authors=("McKay, M. D.", "Beckman, R. J.", "Conover, W. J."), volume="21", number="2",
              pages="239-245", doi="10.2307/1268522", used_for="Latin hypercube designs"),
    Reference("Morris1991", Kind.ARTICLE, Topic.EXPERIMENTS, "Morris 1991, Technometrics",
              "Factorial Sampling Plans for Preliminary Computational Experiments", "Technometrics", "1991",
              authors=("Morris, Max D.",), volume="33", number="2", pages="161-174",
              doi="10.1080/00401706.1991.10484804", used_for="Morris elementary-effects trajectories"),
    Reference("Saltelli2002", Kind.ARTICLE, Topic.EXPERIMENTS,
              "Saltelli 2002, Computer Physics Communications",
              "Making best use of model evaluations to compute sensitivity indices",
              "Computer Physics Communications", "2002", authors=("Saltelli, Andrea",), volume="145",
              number="2", pages="280-297", doi="10.1016/S0010-4655(02)00280-1",
              used_for="Saltelli's sampling scheme for Sobol' indices"),
    Reference("Campolongo2007", Kind.ARTICLE, Topic.EXPERIMENTS,
              "Campolongo et al. 2007, Environmental Modelling & Software",
              "An effective screening design for sensitivity analysis of large models",
              "Environmental Modelling & Software", "2007",
              authors=("Campolongo, Francesca", "Cariboni, Jessica", "Saltelli, Andrea"), volume="22",
              number="10", pages="1509-1518", doi="10.1016/j.envsoft.2006.10.004",
              used_for="Morris screening with mu* (the absolute mean elementary effect)"),
    Reference("Saltelli2010", Kind.ARTICLE, Topic.EXPERIMENTS,
              "Saltelli et al. 2010, Computer Physics Communications",
              "Variance based sensitivity analysis of model output. Design and estimator for the total "
              "sensitivity index", "Computer Physics Communications", "2010",
              authors=("Saltelli, Andrea", "Annoni, Paola", "Azzini, Ivano", "Campolongo, Francesca",
                       "Ratto, Marco", "Tarantola, Stefano"),
              volume="181", number="2", pages="259-270", doi="10.1016/j.cpc.2009.09.018",
              used_for="Sobol' first- and total-order estimators with bootstrap confidence intervals"),
    Reference("Herman2017", Kind.ARTICLE, Topic.EXPERIMENTS, "Herman & Usher 2017, JOSS (SALib)",
              "SALib: An open-source Python library for Sensitivity Analysis",
              "Journal of Open Source Software", "2017", authors=("Herman, Jon", "Usher, Will"),
              volume="2", number="9", pages="97",
              doi="10.21105/joss.00097", used_for="the sampling and sensitivity analysis library"),
    Reference("KhorashadiZadeh2017", Kind.ARTICLE, Topic.EXPERIMENTS,
              "Khorashadi Zadeh et al. 2017, Environmental Modelling & Software",
              "Comparison of variance-based and moment-independent global sensitivity analysis approaches "
              "by application to the SWAT model", "Environmental Modelling & Software", "2017",
              authors=("Khorashadi Zadeh, Farkhondeh", "Nossent, Jiri", "Sarrazin, Fanny",
                       "Pianosi, Francesca", "van Griensven, Ann", "Wagener, Thorsten", "Bauwens, Willy"),
              volume="91", pages="210-222",
              used_for="a dummy parameter's sensitivity index as the screening threshold (noise floor)"),
)

BY_KEY: dict[str, Reference] = {r.key: r for r in REFERENCES}
CITATION = re.compile(r"\[([A-Za-z][A-Za-z0-9]*)\]")


def cited_keys(text: str) -> list[str]:
    """The reference keys cited in ``text`` as ``[Key]``, in order of first appearance."""
    return list(dict.fromkeys(k for k in CITATION.findall(text) if k in BY_KEY))


def readable(key: str) -> str:
    """``[Diplomat2023] The Diplomat, Dec 2023``."""
    return f"[{key}] {BY_KEY[key].short}"


# ------------------------------------------------------------------------------------------ rendering
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_BIB_ESCAPES = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_"}


def _bib_text(text: str) -> str:
    """Escape BibTeX's special characters (titles are braced whole, so their capitals stay)."""
    for char, escaped in _BIB_ESCAPES.items():
        text = text.replace(char, escaped)
    return text


def _bib_fields(ref: Reference) -> list[tuple[str, str]]:
    authors = " and ".join("{" + a + "}" if ref.verbatim_author else a for a in ref.authors)
    parts = ref.date.split()
    month = parts[-2].lower()[:3] if len(parts) >= 2 and parts[-2].lower()[:3] in _MONTHS else ""
    day = parts[0] if len(parts) == 3 else ""
    venue = {Kind.ARTICLE: "journal", Kind.BOOK: "", Kind.PROCEEDINGS: "booktitle", Kind.MISC: "howpublished"}
    fields = [("author", authors), ("title", "{" + ref.title + "}"), (venue[ref.kind], ref.outlet),
              ("volume", ref.volume), ("number", ref.number), ("pages", ref.pages.replace("-", "--")),
              ("publisher", ref.publisher), ("address", ref.address), ("year", ref.year),
              ("month", month), ("day", day), ("doi", ref.doi), ("url", ref.link), ("note", ref.note),
              *ref.extra]
    return [(name, value) for name, value in fields if name and value]


def bibtex() -> str:
    """docs/references.bib."""
    out = ["% Every source hedgesim cites, by the key code and docs use ([Key]).",
           "% Written by `python -m sim.sources` from sim/sources.py; do not edit by hand.", ""]
    for ref in REFERENCES:
        fields = _bib_fields(ref)
        width = max(len(name) for name, _ in fields)
        body = ",\n".join(f"  {name:<{width}} = {{{_bib_text(value)}}}" if name != "month"
                          else f"  {name:<{width}} = {value}" for name, value in fields)
        out.append(f"@{ref.kind}{{{ref.key},\n{body}\n}}\n")
    return "\n".join(out)


def _md_authors(ref: Reference) -> str:
    if not ref.authors:
        return ""
    names = [a if ref.verbatim_author or "," not in a else " ".join(reversed(a.split(", ", 1)))
             for a in ref.authors]
    if names[-1] == "others":
        return ", ".join(names[:-1]) + " et al."
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _md_where(ref: Reference) -> str:
    if ref.kind == Kind.BOOK:
        return f"{ref.address}: {ref.publisher}" if ref.address else ref.publisher
    issue = f" {ref.volume}" + (f"({ref.number})" if ref.number else "") if ref.volume else ""
    pages = f": {ref.pages.replace('-', '–')}" if ref.pages else ""
    return f"*{ref.outlet}*{issue}{pages}"


def _md_entry(ref: Reference) -> str:
    """``- **[Key]** Authors (date). "Title". *Outlet* vol(no): pages. <link> Note.``"""
    who = _md_authors(ref) or ref.outlet  # an unsigned article is listed under its outlet
    title = f"*{ref.title}*" if ref.kind == Kind.BOOK else f"\"{ref.title}\""
    text = f"- **[{ref.key}]** {who} ({ref.date or 'n.d.'}). {title}."
    if who != ref.outlet:
        text += f" {_md_where(ref)}."
    if ref.link:
        text += f" <{ref.link}>"
    if ref.note:
        text += f" {ref.note}"
    if ref.used_for:
        text += f"\n  Used for: {ref.used_for}."
    return text


def markdown() -> str:
    """docs/references.md."""
    out = ["# References", "",
           "Every source hedgesim cites. Code, YAML and docs cite a source by its key in brackets "
           "(`[Kuik2008]`); `hedgesim list` shows each rule's sources by key and name. The same list is in "
           "BibTeX in `references.bib`. Both files are written by `python -m sim.sources` from "
           "`sim/sources.py`; a test checks they are current.", "",
           "For the five news articles only what each article states is recorded: the outlet, the title, "
           "the author where the article names one, and the date as precisely as it gives it. No text of "
           "theirs is copied into the project.", ""]
    for topic in Topic:
        out += [f"## {topic.value}", ""]
        out += [_md_entry(r) for r in REFERENCES if r.topic == topic]
        out.append("")
    return "\n".join(out)


def write_docs(docs: Path) -> None:
    (docs / "references.bib").write_text(bibtex(), encoding="utf-8")
    (docs / "references.md").write_text(markdown(), encoding="utf-8")


if __name__ == "__main__":  # python -m sim.sources [DOCS_DIR]
    write_docs(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "docs"))
