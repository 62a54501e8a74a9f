"""Base material of the hard news generator (:mod:`benchmarks.hardnews`), written for it.

Everything here is invented: the countries, towns, parties, militant groups, people and their words.
Template syntax: ``{slot}`` is filled from the event (a name, a title, a number: shared by every
report of the event, recorded as a *name* span), ``[a|b|c]`` is a choice point (a writer picks one;
a quote's choice points are where two renderings of it differ).

Each event kind has four *facts*, each written six ways (one per writer of an event: the wire
service and up to five outlets reporting in their own words), six headlines, quotes (each with a
paraphrase in indirect speech that shares few words with it), and outlet-exclusive quotes (an
interview only one outlet has).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AFP",
    "AP",
    "KINDS",
    "OUTLETS",
    "REUTERS",
    "SYNONYM",
    "SYNONYMS",
    "WIRES",
    "Kind",
    "Outlet",
    "QuoteItem",
    "Wire",
]

FIRST = (
    "Tomas", "Ilse", "Marek", "Sunniva", "Oren", "Katya", "Luca", "Amara", "Jonah", "Petra", "Raul",
    "Ingrid", "Dario", "Selma", "Viktor", "Noor", "Emil", "Hana", "Casimir", "Leontine", "Bram",
    "Yelena", "Matteo", "Freya", "Anselm", "Dorota", "Kwame", "Lisbet", "Ruben", "Zofia",
)  # fmt: skip
LAST = (
    "Vellund", "Orsk", "Halvorsen", "Marovic", "Tesfaye", "Lindahl", "Okonjo", "Varga", "Sorensen",
    "Castellan", "Drummond", "Nakashima", "Petrakis", "Albescu", "Quiroga", "Hollis", "Radek",
    "Ferreira", "Eskola", "Moravec", "Adeyemi", "Kestrel", "Brannock", "Ivanek", "Szabo", "Thorsby",
    "Achterberg", "Calloway", "Dumitru", "Oyelaran",
)  # fmt: skip
#: First names of men (the templates say "his" of victims, leaders and candidates).
MALE = (
    "Tomas",
    "Marek",
    "Oren",
    "Luca",
    "Jonah",
    "Raul",
    "Dario",
    "Viktor",
    "Emil",
    "Casimir",
    "Bram",
    "Matteo",
    "Anselm",
    "Kwame",
    "Ruben",
)
ABU = ("Harith", "Suhail", "Nabil", "Tariq", "Zaid", "Mansur", "Khalid", "Idris", "Yasin", "Bilal")
NISBA = ("Qadiri", "Rashidi", "Tamimi", "Hashimi", "Masri", "Zubaydi", "Anbari", "Shami", "Dulaimi", "Jaburi")
GROUP_ADJ = ("Crescent", "Black Banner", "Northern", "Red Valley", "Eastern", "Iron", "Sword of", "Desert")
GROUP_NOUN = ("Brigades", "Front", "Movement", "Vanguard", "Legion", "Army")
COUNTRIES = (
    "Valdoria", "Kestrania", "Morvalia", "Sardovia", "Telmark", "Ruvenia", "Aldoria", "Brevonia",
    "Caskadia", "Dunmere", "Orvenia", "Lusmark",
)  # fmt: skip
CAPITALS = (
    "Port Alver", "Kestrin", "Mirensk", "Valdora", "Lundmark", "Savro", "Ternholm", "Ostavel",
    "Brenmoor", "Caldrith", "Hollenby", "Marisca",
)  # fmt: skip
TOWNS = (
    "Ashkirk", "Belvane", "Corrow", "Dallin", "Eskerby", "Fennick", "Glenmora", "Harrowgate",
    "Ivelton", "Jessop", "Kilvane", "Larkmoor", "Mossbridge", "Netherby", "Oakhurst", "Pellworth",
)  # fmt: skip
PROVINCES = ("Halden", "Korva", "Lisvale", "Marrow", "Ostrel", "Pellin", "Rusk", "Sarn", "Tavenor", "Ulm")
RIVERS = ("Alder", "Vessa", "Morrow", "Tern", "Kalva", "Dunn", "Issel", "Brava", "Corrin", "Lethe")
PARTY_ADJ = ("National", "Progressive", "People's", "Democratic", "Civic", "Green", "Liberal", "Social")
PARTY_NOUN = ("Alliance", "Union", "Party", "Movement", "Renewal", "Congress")
NATIONALITIES = ("British", "Danish", "Canadian", "Irish", "Dutch", "Norwegian", "Australian", "Belgian")
MINISTRIES = ("the Foreign Office", "the Foreign Ministry", "the State Department")
AGENCIES = (
    "the National Disaster Management Agency",
    "the Civil Protection Authority",
    "the Emergency Relief Directorate",
)
MONITORS = (
    "the London-based Observatory for Regional Security",
    "the Geneva-based Conflict Monitoring Centre",
    "the Paris-based Institute for Security Studies",
)
AID_ORGS = ("Harvest Hope", "Open Hands Relief", "the Bread and Water Trust", "Field Medics International")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.")


@dataclass(frozen=True, slots=True)
class QuoteItem:
    """A quote (with choice points), who says it, and its paraphrase in indirect speech."""

    speaker: str  # the slot holding the speaker's name
    text: str
    paraphrase: str


@dataclass(frozen=True, slots=True)
class Kind:
    """An event kind: its facts (each written six ways), headlines, quotes and exclusive quotes."""

    name: str
    facts: tuple[tuple[str, ...], ...]
    headlines: tuple[str, ...]
    quotes: tuple[QuoteItem, ...]
    exclusives: tuple[QuoteItem, ...]
    #: Short quoted phrases (under 8 words) that independent reports of an event both quote, and the
    #: slot of who said them: shared words, but too short to be evidence of copying.
    soundbites: tuple[str, ...] = ()
    soundbite_speaker: str = ""


ELECTION = Kind(
    "election",
    facts=(
        (
            "{leader} {reelected}, winning {pct} percent of the vote in {day}'s "
            "[presidential election|presidential "
            "poll|race for the presidency], the [electoral|election] commission [said|announced] on {day2}.",
            "Voters in {country} have handed {title} {leader} another five years in office, [giving|handing] "
            "the {age}-year-old a comfortable margin over {rival}.",
            "{title} {leader} {reelected} [after|following] [a vote|an election|a poll] that "
            "[observers|monitors] described as calm but "
            "marked by [low|thin] turnout in rural areas.",
            "Official results [released|published] on {day2} show {leader} took {pct} percent, far ahead "
            "of the {party} challenger {rival}.",
            "It was a night of celebration in {capital}, where supporters of {leader} [poured|flooded] into "
            "the streets as it became clear [he|the incumbent] would stay in power.",
            "{country}'s incumbent [leader|president] {leader} cruised to victory on {day}, according to "
            "preliminary figures, [ending|dashing] the hopes of an opposition that had united behind "
            "{rival}.",
        ),
        (
            "Turnout was {turnout} percent, [down|lower] from the last election, and {rival} [won|took] "
            "{rival_pct} percent.",
            "{rival}, {rival_age}, [finished|came] a distant second with {rival_pct} percent, while roughly "
            "{turnout} percent of registered voters cast a ballot.",
            "The commission put participation at {turnout} percent, a [figure|number] the opposition "
            "[disputed|questioned] within [hours|a few hours] of the polls closing.",
            "Only about {turnout} in every hundred eligible voters [took part|turned out], and the "
            "runner-up, {rival}, managed {rival_pct} percent.",
            "With nearly all ballots counted, the {party} candidate trailed on {rival_pct} percent, "
            "[according to|based on] the commission's website.",
            "Analysts [pointed to|blamed] a turnout of just {turnout} percent, the lowest since "
            "independence, for the weak showing of {rival_last}'s campaign.",
        ),
        (
            "{leader_last}, a [former|one-time] [finance|economy] minister, first [came to|took] power "
            "{years} years ago on "
            "[promises|pledges] to fight corruption and create jobs.",
            "Before entering politics, {leader_last}, {age}, [taught|lectured in] economics at the "
            "university in {capital} and ran a small export business.",
            "His first term was [dominated|overshadowed] by a dispute with neighbouring states over fishing "
            "rights and a slump in [mineral|copper] prices.",
            "Critics accuse the government of [muzzling|silencing] the press, a charge {leader_last} has "
            "always denied.",
            "Since taking office, {leader_last} has [overseen|presided over] steady growth but has "
            "struggled to bring down youth unemployment.",
            "The {gov_party} has [held|kept] a majority in [parliament|the assembly] since {year}, and its "
            "leader [faced|had] "
            "little serious opposition during the campaign.",
        ),
        (
            "{rival_last}'s campaign said it would challenge the result in court, [citing|alleging] "
            "irregularities at polling stations in the north.",
            "International observers are [due|expected] to publish their [assessment|report] of the vote "
            "on {day3}.",
            "The new term formally begins next month, when {leader_last} will be sworn in before "
            "[parliament|the national assembly] in {capital}.",
            "Opposition supporters gathered outside the commission's offices on {day2} evening but were "
            "[dispersed|moved on] by police.",
            "Neighbouring governments were [quick|swift] to send their congratulations, and the regional "
            "bloc said the vote had been orderly.",
            "{rival_last} has not yet [conceded|accepted defeat], and [aides|advisers] said a statement "
            "would follow once the final count was published.",
        ),
    ),
    headlines=(
        "{leader} wins second term in {country}",
        "{country} re-elects {leader_last} as turnout slumps",
        "{leader_last} [secures|claims] re-election, opposition cries foul",
        "Comfortable win for {leader_last} in {country} presidential vote",
        "{country} votes: {leader_last} stays in power",
        "{rival_last} to challenge {leader_last} win in court",
    ),
    quotes=(
        QuoteItem(
            "leader",
            "This victory belongs to every [citizen|person] who [queued|waited] in the [rain|cold] to "
            "[vote|cast a ballot], and I will [repay|reward] that trust [with work|by working], not "
            "[words|promises]",
            "{leader_last} thanked supporters for turning out despite bad weather and pledged to "
            "justify their confidence through action rather than talk",
        ),
        QuoteItem(
            "leader",
            "We have [five|another five] years to [finish|complete] what we [started|began], and I "
            "[promise|pledge] that no [region|province] of {country} will be [left behind|forgotten] "
            "[again|this time]",
            "The president said his second term would be spent completing his programme, with every "
            "part of the country sharing in it",
        ),
        QuoteItem(
            "leader",
            "The people of {country} have [chosen|picked] [stability|calm] over [chaos|disorder], and I "
            "[intend|mean] to [govern|lead] for those who did not vote for me [as well|too]",
            "{leader_last} described the outcome as a rejection of turmoil and said he would serve "
            "opponents as much as supporters",
        ),
        QuoteItem(
            "leader",
            "My [first|very first] [task|job] will be to [bring down|cut] the price of bread and fuel, "
            "because [families|households] [cannot|can no longer] wait [another year|any longer]",
            "Lowering what households pay for food and petrol would come before anything else, "
            "{leader_last} said",
        ),
        QuoteItem(
            "rival",
            "We will not [accept|recognise] a result that was [decided|settled] before a [single|lone] "
            "ballot was [cast|counted], and we will [prove|show] it in [court|the courts]",
            "{rival_last} rejected the outcome as fixed in advance and said judges would be asked to "
            "overturn it",
        ),
        QuoteItem(
            "rival",
            "[Hundreds|Thousands] of our [observers|monitors] were [kept|turned] away from the counting "
            "rooms, and that [alone|by itself] should [worry|alarm] every [democrat|voter] in {country}",
            "According to {rival_last}, opposition monitors had been barred from watching the count, "
            "which he called deeply troubling",
        ),
        QuoteItem(
            "leader",
            "[Tonight|This evening] I [ask|invite] {rival_last} and [his|all his] [voters|supporters] to "
            "[sit down|sit] with us, because the [problems|troubles] of {country} are [bigger|larger] "
            "than any [party|one party]",
            "{leader_last} offered talks to the defeated side, arguing that the nation's difficulties "
            "outweighed party loyalties",
        ),
        QuoteItem(
            "rival",
            "[Our|My] [supporters|voters] [should|must] stay [calm|peaceful] and [keep|stay] off the "
            "[streets|roads] [tonight|for now], [because|as] this [fight|battle] will be [won|decided] "
            "with [evidence|documents], not [stones|anger]",
            "The runner-up appealed for restraint, insisting the contest would be settled by proof "
            "instead of protest",
        ),
    ),
    soundbites=("a victory for the whole nation", "a stolen election", "five more wasted years"),
    soundbite_speaker="leader",
    exclusives=(
        QuoteItem(
            "voter",
            "I have [voted|cast my vote] for {leader_last} [twice|both times] now, but [honestly|frankly] "
            "I [do not|don't] [know|see] what has [changed|improved] for [people|families] like us in "
            "{town}",
            "",
        ),
        QuoteItem(
            "voter",
            "[My|Our] [shop|bakery] in {town} has [lost|shed] [half|a third] of its [customers|trade] "
            "since the [last|previous] election, so [forgive|excuse] me if I [am not|won't be] "
            "[celebrating|dancing] [tonight|in the street]",
            "",
        ),
    ),
)

MILITANT = Kind(
    "militant",
    facts=(
        (
            "A video [released|posted] on {day} by {group} [appears to show|purports to show] the killing "
            "of {nationality} aid worker {victim}, the second such video in [a month|three weeks].",
            "{group} has [published|released] footage it [says|claims] [shows|records] the death of "
            "{victim}, a "
            "{vage}-year-old {nationality} [volunteer|aid worker] kidnapped in {region} last year.",
            "The {nationality} government is [examining|studying] a video in which masked gunmen claim to "
            "have killed {victim}, who was [abducted|seized] while delivering food aid.",
            "Militants loyal to the {designation}, [have claimed|claimed] the killing of a {nationality} "
            "hostage, {victim}, in a video that surfaced online on {day}.",
            "Fresh [footage|video] from {group} shows a man identified as {victim} kneeling in the desert "
            "beside a masked fighter, [according to|said] officials who have seen it.",
            "Relatives of {victim} have [appealed|pleaded] for privacy after a militant video claimed the "
            "{vage}-year-old had been killed by his captors.",
        ),
        (
            "{ministry} {said_statement} that it was [working|trying] to verify the [footage|images] and "
            "[was|had been] in contact with [the family|his next of kin].",
            "The prime minister [chaired|convened] an [emergency|urgent] [meeting|session] of security "
            "officials and [called|branded] the killing, if [confirmed|true], an act of pure evil.",
            "Officials in {capital} said they had no reason to doubt [the footage|the recording] but "
            "stopped short of confirming the death.",
            "{ministry} [declined|refused] to comment on the details of the video, saying only that "
            "consular staff were supporting relatives.",
            "A government spokesman said [analysts|experts] were still studying the recording and urged "
            "media outlets not to [share|broadcast] [it|any of it].",
            "In a brief [message|note] to journalists, {ministry} [condemned|denounced] the video and "
            "[promised|insisted] that [everything possible|all it could] was [being done|under way].",
        ),
        (
            "The video also [shows|features] a second hostage, {victim2}, whom the militants threaten to "
            "kill next.",
            "{victim2}, another aid worker [held|detained] by the [group|militants], [appears|is shown] "
            "[at the end of|towards the close of|in the last minute of] the recording.",
            "Last month the {designation}, [urged|called on] followers to target foreigners working in "
            "{region}.",
            "The {designation}, has not been seen in public since a rare sermon in [the spring|April].",
            "According to {monitor}, the group [controls|holds] much of {region} and has seized dozens "
            "of hostages this year.",
            "{victim2} and several other captives [are|remain] believed to be held in the same compound "
            "near the border.",
        ),
        (
            "{aid_org}, which employed {victim_last}, said it was [devastated|heartbroken] and had "
            "suspended its work in the area.",
            "Friends described {victim_last} as a [gentle|kind] man who had [spent|passed] [years|a decade] "
            "[working|volunteering] in [refugee|displacement] camps.",
            "Security experts said the video [bore|carried] the hallmarks of earlier recordings made by "
            "the same media wing.",
            "{monitor} said the group had [stepped up|increased] its attacks in recent weeks despite air "
            "strikes.",
            "The family had [pleaded|appealed] for his release in a video message [posted|shared] online "
            "last week.",
            "Social media companies said they were removing [copies|clips] of the recording as quickly "
            "as they were found.",
        ),
    ),
    headlines=(
        "{group} video claims killing of aid worker {victim}",
        "{nationality} hostage {victim} 'killed' by militants",
        "Family of {victim} pleads for privacy after video",
        "Government studying video of {victim_last} killing",
        "Militants release new hostage video from {region}",
        "Aid worker {victim} killed, {group} claims",
    ),
    quotes=(
        QuoteItem(
            "minister",
            "We will [hunt down|pursue] those [responsible|behind this] for as long as it takes, and "
            "they will [face|answer to] justice [wherever|in whatever corner of the world] they "
            "[hide|are hiding]",
            "{minister_last} vowed that the killers would eventually be caught and punished, no matter "
            "how many years that took",
        ),
        QuoteItem(
            "relative",
            "{victim_first} went there to [help|feed] people who had [nothing|lost everything], and he "
            "[would want|would have wanted] us to [remember|keep hold of] that, not the [manner|way] of "
            "his death",
            "His family said the aid worker should be remembered for his work with the needy rather than "
            "for how he died",
        ),
        QuoteItem(
            "minister",
            "This is a [barbaric|brutal] act against a man who [devoted|gave] his life to [helping|serving] "
            "others, and it [only|simply] [strengthens|hardens] our [resolve|determination] to [defeat|stop] "
            "{group}",
            "{minister_last} condemned the killing as savage and said it made the government more "
            "determined than ever",
        ),
        QuoteItem(
            "minister",
            "Our [thoughts|prayers] are with [his|the] family [tonight|this evening], and we [ask|urge] "
            "everyone to [respect|honour] their [privacy|wish to grieve] at this [terrible|dreadful] time",
            "The minister asked the public to leave the grieving relatives alone",
        ),
        QuoteItem(
            "relative",
            "We [begged|pleaded with] them [again and again|for months] to [let him come|send him] home, "
            "and [nobody|no one] in {capital} [would|was willing to] [listen|talk to us]",
            "The hostage's relatives accused officials of ignoring their repeated appeals for help",
        ),
        QuoteItem(
            "minister",
            "[No|Not a single] [ransom|payment] was [ever|at any point] [offered|discussed], [because|since] "
            "[paying|giving money to] {group} [only|simply] [puts|places] [more|other] [lives|people] at "
            "[risk|greater risk]",
            "{minister_last} insisted the government had never considered handing cash to the kidnappers, "
            "arguing that doing so endangers others",
        ),
        QuoteItem(
            "relative",
            "[Mum|Our mother] [still|even now] [sets|lays] a [place|plate] for {victim_first} at the "
            "[table|kitchen table] [every|each] [Sunday|weekend], and [nobody|no one] [dares|has the heart] "
            "to [tell|ask] her to [stop|give up]",
            "Relatives described how the captive's elderly parent keeps hoping for his return",
        ),
        QuoteItem(
            "minister",
            "[Special forces|Our forces] [tried|attempted] to [reach|free] him [twice|two times] this "
            "[summer|year], [and|but] on [both occasions|each attempt] the [captives|hostages] had "
            "[been moved|gone] [hours|days] [earlier|before]",
            "{minister_last} revealed that commandos had made two failed rescue attempts, arriving after "
            "the prisoners had been shifted",
        ),
    ),
    soundbites=("an act of pure evil", "cowardly and barbaric", "a crime against humanity itself"),
    soundbite_speaker="minister",
    exclusives=(
        QuoteItem(
            "colleague",
            "I [met|knew] {victim_first} in the camp at {town}, and he [never|not once] [talked|spoke] "
            "about the danger, only about the [children|families] [there|he was helping]",
            "",
        ),
        QuoteItem(
            "colleague",
            "[Every|Each] [evening|night] {victim_first} [phoned|called] his [mother|parents] from the "
            "[office|clinic] in {town}, [whatever|however bad] the [line|connection] was",
            "",
        ),
    ),
)

FLOOD = Kind(
    "flood",
    facts=(
        (
            "At least {toll} people [have died|were killed] after the {river} river burst its banks in "
            "{town}, [officials|authorities] said on {day}.",
            "Floodwaters [swept through|tore through] {town} overnight, [leaving|with] {toll} dead and "
            "{missing} missing, according to {agency}.",
            "Rescue teams in boats [searched|combed] the flooded streets of {town} on {day} for survivors "
            "of the worst floods in [decades|a generation].",
            "The [death toll|number of dead] from [flooding|the floods] in {region} rose to {toll} on "
            "{day} as [rescuers|emergency "
            "crews] reached villages cut off since the weekend.",
            "Days of torrential rain have turned the {river} valley into a lake, [killing|drowning] at "
            "least {toll} people and forcing thousands from their homes.",
            "{official_title} {official} [declared|announced] a state of emergency in {region} after the "
            "{river} rose more than [four|five] metres in a single night.",
        ),
        (
            "{agency} said {displaced} people had been moved to schools and sports halls, and that "
            "{missing} were still [unaccounted for|missing].",
            "More than {rain} millimetres of rain fell in [24|48] hours, about [twice|three times] the "
            "monthly average, according to the weather service.",
            "Some {displaced} residents [spent|passed] the night in emergency shelters, and the army sent "
            "trucks of drinking water to the worst-hit areas.",
            "[Power|Electricity] and [telephone|phone] lines were down across [much|most] of {town}, and "
            "the main road to {capital} "
            "was [closed|blocked] by landslides.",
            "Television pictures showed cars [floating|drifting] down the main street of {town} and "
            "families [waiting|sitting] on rooftops.",
            "The {river} [peaked|crested] at dawn on {day}, and forecasters warned that more rain was "
            "[due|expected] at the end of the week.",
        ),
        (
            "{official_last} [blamed|criticised] years of building on the flood plain and promised an "
            "inquiry once the water had gone down.",
            "It is the second time in [five|six] years that {town} has flooded; the last time, {toll2} "
            "people died.",
            "{agency} has [come under|faced] criticism for failing to issue warnings until the water was "
            "[already|by then] in people's homes.",
            "Engineers were [checking|inspecting] a dam upstream of {town} that officials said was under "
            "strain but not at risk of failing.",
            "The government released [emergency funds|an emergency fund] for the region and said "
            "soldiers would help clear the mud and debris.",
            "Farmers in the valley said entire harvests had been [lost|destroyed], and livestock had "
            "drowned in their [fields|pens].",
        ),
        (
            "Neighbouring countries [offered|sent] helicopters and rescue teams, and the Red Cross "
            "launched an appeal.",
            "Schools in the region will stay closed until at least {day3}, the education ministry said.",
            "{official_last} is due to visit the [worst-affected|hardest-hit] villages by helicopter on "
            "{day3}.",
            "Residents [complained|said] that help had been slow to [arrive|come] and that they had been "
            "[left|forced] to "
            "rescue their neighbours themselves.",
            "Health officials [warned|cautioned] of the risk of disease from contaminated water and urged "
            "people to boil it before drinking.",
            "Insurers said the damage could [run|amount] to hundreds of millions, making it the costliest "
            "disaster in the country's history.",
        ),
    ),
    headlines=(
        "{toll} dead as {river} floods {town}",
        "Floods in {region}: death toll rises to {toll}",
        "State of emergency declared after {town} floods",
        "Rescuers search for {missing} missing in {town} floods",
        "{town} under water after record rain",
        "{river} bursts its banks, killing {toll}",
    ),
    quotes=(
        QuoteItem(
            "official",
            "The water came so [fast|quickly] that people had [no|barely any] time to [climb|get] onto "
            "their roofs, and [many|some] of them were [old|elderly] and could not [swim|escape]",
            "{official_last} said the flood had risen too rapidly for residents, a lot of them pensioners, "
            "to reach safety",
        ),
        QuoteItem(
            "official",
            "We are [still|now] [searching|looking] for {missing} people, and I will not [stop|call off] "
            "the search [while|as long as] there is [any|the slightest] chance of [finding|pulling] them "
            "alive",
            "Rescuers would keep going until hope of survivors was gone, {official_last} pledged",
        ),
        QuoteItem(
            "resident",
            "[Everything|All] we [owned|had] is under a [metre|metre and a half] of [mud|brown water], and "
            "[nobody|no one] from the [council|government] has [come|been here] to [help|see] us",
            "One woman complained that her possessions had been ruined and that the authorities had "
            "done nothing for her family",
        ),
        QuoteItem(
            "official",
            "This [disaster|catastrophe] was [foreseen|predicted] years ago, and those who "
            "[ignored|dismissed] the [warnings|reports] will have to [explain|account for] "
            "[themselves|their decisions]",
            "{official_last} said officials who had brushed aside earlier alerts would be held responsible",
        ),
        QuoteItem(
            "resident",
            "We [watched|saw] the {river} [come up|rise] through the [floor|floorboards] in [minutes|a few "
            "minutes] and [carried|lifted] the children [upstairs|up to the attic] in our [pyjamas|night "
            "clothes]",
            "A mother described fleeing to the top of her house with her young ones as the flood entered",
        ),
        QuoteItem(
            "official",
            "[Every|Each] [family|household] that [lost|has lost] [its|their] [home|house] will "
            "[receive|get] "
            "[help|support] to [rebuild|build again], [and|but] not on the [same|old] [land|plots] by the "
            "{river}",
            "Displaced households were promised assistance with new houses, though away from the "
            "riverbank, {official_last} said",
        ),
        QuoteItem(
            "resident",
            "[My|Our] [neighbour|neighbor] [tied|roped] [herself|her body] to the [chimney|roof beam] "
            "[all night|through the night], and [by morning|at first light] she [could|was able to] "
            "[barely|hardly] [speak|talk]",
            "A man told how a woman next door survived the night clinging to her rooftop, exhausted",
        ),
        QuoteItem(
            "official",
            "[The|Our] [pumps|pumping stations] [failed|broke down] [at midnight|around midnight], "
            "[and|so] [from then on|after that] [there was|we had] [nothing|no way] to [hold|keep] the "
            "{river} [back|out of the town]",
            "{official_last} admitted that drainage machinery stopped working overnight, leaving the "
            "town defenceless",
        ),
    ),
    soundbites=("a disaster foretold", "a wall of water", "the worst night in living memory"),
    soundbite_speaker="official",
    exclusives=(
        QuoteItem(
            "local",
            "My [father|grandfather] [built|put up] this house with his own hands in {year}, and in "
            "[one|a single] night the {river} [took|washed away] [all of it|everything he made]",
            "",
        ),
        QuoteItem(
            "local",
            "[Nobody|No one] [rang|warned] us, [nobody|no one] [knocked|came to the door], we [only|just] "
            "[heard|found out] when the [water|river] was [already|right] in the [kitchen|hallway]",
            "",
        ),
    ),
)

KINDS = (ELECTION, MILITANT, FLOOD)

#: Frames of a short quoted phrase, one per writer ({q}: the phrase in the outlet's quote marks).
SOUNDBITE_FRAMES = (
    "{sp} called it {q}.",
    "It was, in the words of {sp}, {q}.",
    "{sp} spoke of {q}.",
    "Earlier, {sp} had described the events as {q}.",
    "For {sp} it was {q}.",
    "{sp} used the phrase {q} twice in a short address.",
)

#: Attribution frames for a quote ({q}: the quote in the outlet's quote marks, {sp}: the speaker).
FRAMES = (
    "{q}, {sp} said.",
    "{sp} told reporters: {q}.",
    "{q}, said {sp}.",
    "Speaking on {day2}, {sp} said: {q}.",
    "{q}, {sp} added.",
    "According to {sp}, {q}.",
)


# -- outlets, wires and their chrome --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Wire:
    """A wire service: its credit in the dateline and its legal notice."""

    key: str
    credit: str
    notice: str


AP = Wire(
    "ap",
    "AP",
    "Copyright 2014 The Associated Press. All rights reserved. This material may not be published, "
    "broadcast, rewritten or redistributed.",
)
REUTERS = Wire(
    "reuters",
    "Reuters",
    "Copyright 2014 Thomson Reuters. All rights reserved. Users may download and print extracts of "
    "content from this website for their own personal and non-commercial use only. Republication or "
    "redistribution of Thomson Reuters content, including by framing or similar means, is expressly "
    "prohibited without the prior written consent of Thomson Reuters.",
)
AFP = Wire(
    "afp",
    "AFP",
    "Copyright 2014 AFP. All rights reserved. All information displayed in this section (dispatches, "
    "photographs, logos) is protected by intellectual property rights owned by Agence France-Presse. "
    "You may not copy, reproduce, modify, transmit, publish, display or in any way commercially "
    "exploit any of the content of this section without the prior written consent of Agence "
    "France-Presse.",
)
WIRES = (AP, REUTERS, AFP)


@dataclass(frozen=True, slots=True)
class Outlet:
    """A news site: its quote marks, whether its pages are scraped into long lines, and its chrome.

    ``chrome`` maps a place ("top", "inside", "end") to the chrome pieces there; ``{id}`` in a piece is
    replaced by a per-page identifier (as a video player's element id is).
    """

    key: str
    name: str
    quotes: tuple[str, str]
    scraped: bool
    separator: str
    top: tuple[str, ...] = ()
    inside: tuple[str, ...] = ()
    end: tuple[str, ...] = ()


OUTLETS = (
    Outlet(
        "northgate-herald",
        "Northgate Herald",
        ("“", "”"),
        False,
        "\n\n",
        end=(
            "The Northgate Herald is independent and owned by a trust. Support our journalism from 3 "
            "crowns a week and get the paper delivered to your door.",
        ),
    ),
    Outlet(
        "capital-daily",
        "Capital Daily",
        ('"', '"'),
        True,
        " ### ",
        top=("Home | News | World | Politics | Business | Sport | Opinion | Video | Weather | Contact us",),
        inside=(
            "This video is not available in your browser. Please enable JavaScript or try another device "
            "to watch it.",
        ),
        end=(
            "Share this story: Share on Facebook Share on Twitter Share via Email Print this page",
            "We use cookies to give you the best experience on our website. By continuing to browse you "
            "agree to our use of cookies. Find out more",
        ),
    ),
    Outlet(
        "riverside-courier",
        "Riverside Courier",
        ("‘", "’"),
        True,
        " ",
        top=("Riverside Courier | Latest | Local | Nation | World | Money | Life | Sport | Puzzles",),
        inside=(
            "OO.ready(function() { OO.Player.create('ooyalaplayer-{id}', '{id}x9Qw', "
            '{"autoplay":false,"wmode":"opaque"}); });',
        ),
        end=(
            "For more stories like this, like the Riverside Courier Facebook page by clicking on the "
            "link below",
            "Contact the newsroom at newsdesk@riverside-courier.example or call 555 0199. Follow us on "
            "Twitter @RiversideNews",
        ),
    ),
    Outlet(
        "eastern-star",
        "Eastern Star Online",
        ("«", "»"),
        True,
        " ### ",
        top=(
            "Eastern Star Online | Breaking | Region | Asia | Europe | Americas | Africa | Videos | Photos",
        ),
        inside=("Media playback is not supported on this device. Update your player to see this clip.",),
        end=(
            "Have something to add to this story? Tell us in the comments below. Comments are moderated "
            "and may take a while to appear",
            "Eastern Star Online, 40 Quay Road, Marisca. Registered newspaper. All rights reserved. "
            "Advertise with us | Terms of use | Privacy policy",
        ),
    ),
    Outlet(
        "metro-bulletin",
        "Metro Bulletin",
        ('"', '"'),
        False,
        "\n\n",
        end=(
            "Got a news tip? Contact the Metro Bulletin newsroom on 555 0142 or email tips@metro-"
            "bulletin.example, and follow us for breaking news.",
        ),
    ),
    Outlet(
        "coast-observer",
        "The Coast Observer",
        ("“", "”"),
        True,
        " ",
        top=("THE COAST OBSERVER | Subscribe | Sign in | News | Opinion | Sport | Culture | Lifestyle",),
        inside=(
            "Advertisement Continue reading the main story",
            "var _gaq = _gaq || []; _gaq.push(['_setAccount', 'UA-{id}-1']); _gaq.push(['_trackPageview']);",
        ),
        end=(
            "Sign up for the Morning Briefing newsletter: the day's top stories in your inbox before "
            "breakfast. Enter your email address Sign up",
        ),
    ),
)


#: Words a writer may put otherwise (each group's words stand in for one another). The generator turns
#: every such word of a template's literal text into a choice point, so that two events written from
#: one template seldom repeat 8 words, and the 8-gram index catches those that do.
SYNONYMS = (
    ("said", "stated"),
    ("after", "following"),
    ("people", "residents", "locals"),
    ("officials", "authorities"),
    ("video", "clip"),
    ("recording", "tape"),
    ("killing", "murder"),
    ("family", "relatives"),
    ("government", "administration"),
    ("quickly", "fast"),
    ("recent", "past"),
    ("hallmarks", "signs"),
    ("earlier", "previous"),
    ("made", "produced"),
    ("suspended", "halted"),
    ("area", "region"),
    ("believed", "thought"),
    ("compound", "camp"),
    ("near", "close to"),
    ("seen", "spotted"),
    ("rare", "unusual"),
    ("sermon", "speech"),
    ("dozens", "scores"),
    ("seized", "taken"),
    ("comment", "speak"),
    ("details", "content"),
    ("consular", "embassy"),
    ("staff", "personnel"),
    ("supporting", "helping"),
    ("urged", "asked"),
    ("outlets", "organisations"),
    ("verify", "confirm"),
    ("contact", "touch"),
    ("doubt", "question"),
    ("killed", "murdered"),
    ("masked", "hooded"),
    ("gunmen", "militants"),
    ("delivering", "distributing"),
    ("kneeling", "crouching"),
    ("captors", "kidnappers"),
    ("surfaced", "appeared"),
    ("target", "attack"),
    ("followers", "supporters"),
    ("threaten", "vow"),
    ("teams", "crews"),
    ("boats", "dinghies"),
    ("flooded", "submerged"),
    ("streets", "roads"),
    ("worst", "deadliest"),
    ("villages", "hamlets"),
    ("torrential", "heavy"),
    ("forcing", "driving"),
    ("homes", "houses"),
    ("rose", "climbed"),
    ("moved", "relocated"),
    ("halls", "centres"),
    ("average", "norm"),
    ("weather", "meteorological"),
    ("night", "evening"),
    ("army", "military"),
    ("trucks", "lorries"),
    ("areas", "districts"),
    ("main", "principal"),
    ("landslides", "mudslides"),
    ("pictures", "images"),
    ("cars", "vehicles"),
    ("rooftops", "roofs"),
    ("dawn", "daybreak"),
    ("forecasters", "meteorologists"),
    ("building", "construction"),
    ("promised", "pledged"),
    ("inquiry", "investigation"),
    ("failing", "neglecting"),
    ("issue", "send"),
    ("engineers", "inspectors"),
    ("dam", "reservoir"),
    ("strain", "pressure"),
    ("released", "freed"),
    ("soldiers", "troops"),
    ("clear", "remove"),
    ("debris", "rubble"),
    ("farmers", "growers"),
    ("entire", "whole"),
    ("harvests", "crops"),
    ("livestock", "cattle"),
    ("neighbouring", "nearby"),
    ("helicopters", "aircraft"),
    ("launched", "opened"),
    ("closed", "shut"),
    ("visit", "tour"),
    ("slow", "late"),
    ("neighbours", "neighbors"),
    ("health", "medical"),
    ("disease", "infection"),
    ("contaminated", "polluted"),
    ("insurers", "insurance companies"),
    ("damage", "losses"),
    ("costliest", "most expensive"),
    ("winning", "taking"),
    ("voters", "electors"),
    ("handed", "given"),
    ("another", "a further"),
    ("comfortable", "healthy"),
    ("margin", "lead"),
    ("calm", "peaceful"),
    ("marked", "marred"),
    ("official", "certified"),
    ("far", "well"),
    ("challenger", "candidate"),
    ("celebration", "jubilation"),
    ("incumbent", "sitting"),
    ("cruised", "sailed"),
    ("victory", "win"),
    ("preliminary", "provisional"),
    ("results", "figures"),
    ("hopes", "dreams"),
    ("united", "rallied"),
    ("turnout", "participation"),
    ("roughly", "about", "around"),
    ("registered", "eligible"),
    ("nearly", "almost"),
    ("ballots", "votes"),
    ("trailed", "lagged"),
    ("website", "site"),
    ("analysts", "commentators"),
    ("lowest", "weakest"),
    ("weak", "feeble"),
    ("showing", "performance"),
    ("fight", "tackle"),
    ("create", "generate"),
    ("corruption", "graft"),
    ("entering", "joining"),
    ("small", "modest"),
    ("business", "firm"),
    ("dispute", "row"),
    ("states", "countries"),
    ("slump", "fall"),
    ("accuse", "charge"),
    ("press", "newspapers"),
    ("always", "consistently"),
    ("denied", "disputed"),
    ("steady", "solid"),
    ("growth", "expansion"),
    ("struggled", "failed"),
    ("unemployment", "joblessness"),
    ("serious", "real"),
    ("challenge", "contest"),
    ("result", "outcome"),
    ("irregularities", "fraud"),
    ("polling", "voting"),
    ("publish", "release"),
    ("formally", "officially"),
    ("begins", "starts"),
    ("gathered", "assembled"),
    ("offices", "headquarters"),
    ("governments", "capitals"),
    ("congratulations", "good wishes"),
    ("bloc", "alliance"),
    ("orderly", "well run"),
    ("statement", "announcement"),
    ("final", "full"),
    ("count", "tally"),
    ("aid", "relief"),
    ("hostage", "captive"),
    ("hostages", "captives", "prisoners"),
    ("kidnapped", "snatched"),
    ("security", "intelligence"),
    ("pure", "absolute"),
    ("reason", "cause"),
    ("spokesman", "spokesperson"),
    ("share", "spread"),
    ("brief", "short"),
    ("journalists", "reporters"),
    ("friends", "acquaintances"),
    ("experts", "specialists"),
    ("wing", "arm"),
    ("attacks", "raids"),
    ("strikes", "bombardments"),
    ("message", "appeal"),
    ("companies", "firms"),
    ("removing", "deleting"),
    ("vowed", "swore"),
    ("eventually", "in the end"),
    ("caught", "captured"),
    ("punished", "jailed"),
    ("needy", "destitute"),
    ("remembered", "honoured"),
    ("condemned", "denounced"),
    ("savage", "barbarous"),
    ("determined", "resolved"),
    ("public", "media"),
    ("grieving", "mourning"),
    ("accused", "blamed"),
    ("ignoring", "disregarding"),
    ("repeated", "constant"),
    ("appeals", "pleas"),
    ("risen", "surged"),
    ("rapidly", "swiftly"),
    ("pensioners", "old people"),
    ("reach", "get to"),
    ("safety", "shelter"),
    ("keep", "carry on"),
    ("survivors", "anyone alive"),
    ("complained", "protested"),
    ("possessions", "belongings"),
    ("ruined", "wrecked"),
    ("brushed", "waved"),
    ("alerts", "signals"),
    ("responsible", "accountable"),
    ("described", "recounted"),
    ("fleeing", "escaping"),
    ("thanked", "praised"),
    ("turning", "coming"),
    ("despite", "in spite of"),
    ("bad", "foul"),
    ("justify", "earn"),
    ("confidence", "faith"),
    ("action", "deeds"),
    ("talk", "speeches"),
    ("completing", "finishing"),
    ("programme", "agenda"),
    ("sharing", "taking part"),
    ("rejection", "repudiation"),
    ("turmoil", "upheaval"),
    ("serve", "govern for"),
    ("opponents", "critics"),
    ("lowering", "reducing"),
    ("households", "families"),
    ("petrol", "fuel"),
    ("rejected", "dismissed"),
    ("fixed", "rigged"),
    ("advance", "beforehand"),
    ("judges", "the courts"),
    ("overturn", "annul"),
    ("barred", "banned"),
    ("watching", "observing"),
    ("deeply", "very"),
    ("troubling", "worrying"),
)

SYNONYM = {w: group for group in SYNONYMS for w in group}
