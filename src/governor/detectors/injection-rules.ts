import { normaliseText } from './injection-features.js';

/** An explicit pattern for a well-known attack phrasing, with the reason it reports. */
export interface InjectionRule {
  id: string;
  reason: string;
  /** Probability that a text matching the rule is an injection; above the default threshold. */
  confidence: number;
  /** Matched against normalised text: lowercase, accents folded, whitespace collapsed. */
  pattern: RegExp;
}

/*
 * Patterns see normalised text, so they are written in lowercase without accents ("fur",
 * "ungultig"). Each needs the attack's shape — a verb aimed at the earlier instructions, a
 * persona switch, a request for the assistant's own prompt — not a keyword alone, so that
 * "How do I change the system prompt of an agent?", "Please ignore my previous message" or
 * "Vergiss nicht die Fenster" stay clean.
 */
const EARLIER = '(?:previous|prior|above|earlier|preceding|foregoing|initial|original|given)';
const ORDERS =
  '(?:instructions?|prompts?|directions?|directives?|rules|guidelines|guidance|commands?|context|tasks?|assignments?|information|programming|restrictions|constraints|orders|text)';
/** Instructions proper: what "ignore all …" or "ignore your …" must be aimed at. */
const STRICT_ORDERS =
  '(?:instructions?|prompts?|directions|directives|rules|guidelines|commands|programming|restrictions)';
const DISMISS = '(?:ignore|disregard|forget|override|bypass)';
const CLAUSE_START = String.raw`(?:^|[.!?:;,"'\-] ?)(?:please |now |so |ok,? |okay,? )?`;
const ASK = '(?:reveal|show|print|display|output|repeat|tell|give|write|dump|leak|share|list)';
const GERMAN_DISMISS =
  '(?:vergiss|vergesst|vergessen sie|ignoriere|ignoriert|ignorieren sie|missachte|missachten sie|verwirf|verwerfen sie)';
const GERMAN_EARLIER = String.raw`(?:vorherig|bisherig|obig|vorig|vorangegangen|vorausgegangen|fruher|ursprunglich)\w*`;
const GERMAN_ORDERS = String.raw`(?:anweisung|instruktion|befehl|aufgabe|information|regel|vorgabe|richtlinie|prompt)\w*`;
const GERMAN_ASK =
  '(?:zeig|zeige|zeigen sie|gib|geben sie|nenne|nennen sie|verrate|verraten sie|drucke|wiederhole|schreib|schreibe|was ist|was sind|was war|was waren)';

function rule(
  id: string,
  reason: string,
  alternatives: string[],
  confidence = 0.95,
): InjectionRule {
  return { id, reason, confidence, pattern: new RegExp(alternatives.join('|'), 'u') };
}

export const INJECTION_RULES: readonly InjectionRule[] = [
  rule('ignore-previous-instructions', 'asks to ignore or forget the previous instructions', [
    String.raw`\b${DISMISS} (?:about )?(?:(?:all|any|every|each|the|your|these|those|of) )*${EARLIER} ${ORDERS}`,
    String.raw`\b${DISMISS} (?:(?:all|any|the|your) )*${ORDERS} (?:above|before|so far|you (?:were|have been) given)`,
    String.raw`\b(?:ignore|disregard|forget) (?:all |everything )?(?:the )?(?:above|preceding|foregoing)\b`,
    String.raw`\b${DISMISS} (?:all|any|your) (?:of )?(?:your |the )?${STRICT_ORDERS}\b`,
    String.raw`\b(?:contrary to|instead of|deviating from) (?:the |your |all )?${EARLIER} ${ORDERS}`,
    String.raw`\b(?:ignore|disregard|forget)\b[^.!?]{0,30}\b(?:and|&) everything (?:above|before|earlier|prior)\b`,
    String.raw`\b(?:ignore|disregard|pay no attention to|do not follow|don't follow) (?:the |your )?(?:system|developer|operator) (?:message|prompt|instructions)\b`,
    String.raw`\b(?:ignore|disregard|forget) (?:what|everything) the user (?:asked|said|wrote|wants)\b`,
    String.raw`\b(?:i am|i'm) (?:the|your) (?:administrator|admin|developer|operator|creator|owner)\b[^!?]{0,60}\b(?:override|ignore|disable|bypass|disregard)\b`,
  ]),
  rule('forget-everything', 'asks to forget everything said before', [
    String.raw`\b(?:forget|ignore|disregard) (?:about )?(?:absolutely )?(?:everything|anything|all(?: of)? that|what (?:i|you|we) (?:said|told|wrote|discussed)|what you (?:were|have been) told) (?:above|before|previously|so far|until now|up to now|we discussed|i said|you were told)\b`,
    String.raw`${CLAUSE_START}(?:forget|ignore|disregard) (?:about )?(?:absolutely )?everything(?:,? (?:and|now|then)\b| you (?:know|learned|have learned|were taught)\b)`,
    String.raw`\b(?:despite|regardless of|contrary to|in spite of) (?:what|anything|everything) (?:you(?:'ve| have)? been|you were) told\b`,
  ]),
  rule('earlier-instructions-void', 'declares the earlier instructions void', [
    String.raw`\b(?:all )?(?:previous|prior|above|earlier|preceding|original) (?:instructions|information|prompts?|tasks|context|commands|directives|guidelines|orders)\b[^.!?]{0,40}\b(?:(?:is|are|were|have been) (?:now |hereby )?(?:irrelevant|invalid|void|obsolete|cancell?ed|revoked|lifted|null)|no longer (?:apply|valid|relevant|matter))`,
  ]),
  rule('new-instructions', 'announces new instructions or a new task', [
    String.raw`\byour (?:new|real|actual|true) (?:task|instructions?|role|assignment|mission|purpose) (?:is|are|will be|now)\b`,
    String.raw`\bnew (?:task|instructions?|rules?)\s*:`,
    String.raw`\bnow (?:focus on|follow) (?:your|my|these|the) new\b`,
    String.raw`\b(?:now|next) (?:come|comes|follow|follows) (?:some |a few )?(?:new|further|more|additional) (?:tasks|instructions)`,
    String.raw`\b(?:start|begin) (?:over |again )?with a new (?:task|assignment|goal|mission|job)\b`,
    String.raw`\badditional instructions?\s*[:-]`,
    String.raw`\b(?:change|update|replace|overwrite|modify|rewrite) your (?:instructions|rules|system prompt|prompt|programming|guidelines)\b`,
    String.raw`\byour (?:new )?instructions are now\b`,
    String.raw`\b(?:you|u) (?:have been|were|are now|got) (?:re-?programmed|re-?configured)\b`,
    String.raw`\byour instructions have (?:changed|been (?:changed|updated|replaced))\b`,
  ]),
  rule('persona-switch', 'tells the assistant it is now someone else', [
    String.raw`\byou are now (?:a|an|the|my|no longer|free|unrestricted|going|called|named|known|acting|playing|dan)\b`,
    String.raw`\b(?:from now on|starting now|henceforth),? (?:you (?:are|will|must|shall|should|act|respond|answer|only)|your (?:name|role|task) is)\b`,
    String.raw`\bfor the rest of (?:this|the|our) (?:chat|conversation|session),? you (?:are|will be|will act|act)\b`,
  ]),
  rule('jailbreak-mode', 'requests a jailbreak persona or mode (DAN, developer mode)', [
    String.raw`\bdo anything now\b`,
    String.raw`\b(?:dan|jailbreak|jailbroken|unfiltered|uncensored|evil|opposite) mode\b|\bjailbroken\b`,
    // "developer mode" alone is an Android setting; it takes talk of answering to be an attack.
    String.raw`\b(?:you are|you're|act|acting|respond|answer|stay|simulate|pretend)\b[^.!?]{0,30}\b(?:developer|dev|god|unrestricted) mode\b`,
    String.raw`\b(?:developer|dev|god|unrestricted) mode\b[^.!?]{0,30}\b(?:answer|respond|reply|output|without|enabled|activated)\b`,
    String.raw`\b(?:act as|you are|you're|pretend to be|become) dan\b|\bstay in character\b`,
  ]),
  rule('disable-safeguards', 'asks the assistant to drop its restrictions or safety rules', [
    String.raw`\b(?:you|your|ai|assistant|chatbot|model|chatgpt|gpt|llm)\b[^.!?]{0,40}\b(?:no|without|free (?:from|of)|freed from|not bound by|bypass(?:es|ing)?|ignor(?:e|es|ing)|disable[sd]?|remove[sd]?|turn off|break free of)\b[^.!?]{0,25}\b(?:censorship|content polic(?:y|ies)|content filters?|(?:safety|ethical|moral) (?:rules|guidelines|measures|filters?|constraints|principles|boundaries|restrictions)|safeguards|guardrails)\b`,
    String.raw`\b(?:you|ai|assistant|model) (?:have|has) no (?:restrictions|limits|limitations|rules|filters|boundaries)\b`,
    String.raw`\b(?:if you were|imagine you(?:'re| are)|pretend (?:to be|you(?:'re| are))|you are|as) an? (?:evil|unrestricted|unfiltered|uncensored|rogue|amoral|jailbroken) (?:ai|assistant|model|chatbot|bot)\b`,
    String.raw`\b(?:ai|assistant|model|chatbot|bot)s?,? (?:with|that has|who has|having|without) (?:no|any) (?:restrictions|rules|limits|content filters?|filters|guardrails|content polic(?:y|ies)|ethical guidelines)\b`,
    String.raw`\bwhere there (?:are|is) no (?:content polic(?:y|ies)|ai safety rules|rules for ai|restrictions on ai)\b`,
  ]),
  rule('reveal-system-prompt', 'asks to reveal the system prompt or hidden instructions', [
    String.raw`\b(?:${ASK}|what (?:is|are|were|was))\b (?:(?:me|us|all|of|out|exactly|verbatim|the) )*your (?:(?:full|complete|entire|exact|initial|original|hidden|secret|internal|system) )*(?:prompt|instructions|system message|prompt texts?)\b(?! (?:for|on|about|to)\b)`,
    String.raw`\b${ASK} (?:me|us) (?:(?:all|of|exactly|verbatim|the) )*(?:(?:full|complete|entire|exact|initial|original|hidden|secret|internal) )*(?:system prompt|system message|system instructions|prompt texts?|initial prompt|hidden prompt|hidden instructions|secret instructions)\b`,
    String.raw`\b(?:reveal|leak|dump) (?:the )?(?:system prompt|system message|hidden instructions|secret instructions|initial prompt|hidden prompt)\b`,
    String.raw`\b(?:repeat|print|output|write out|spell out|copy) (?:(?:me|all|the|everything|exactly|verbatim) )*(?:(?:text|words|content|lines|messages?) )?(?:above|before this|preceding|prior to this)\b`,
    String.raw`\bwhat (?:is|was) (?:written|said|stated) (?:at the (?:beginning|start|top) of (?:this|the|your) (?:prompt|conversation|instructions)|above|before this)`,
    String.raw`\b(?:everything|all) (?:that )?(?:was|you were|has been|have been) (?:said|told|given) (?:to you )?before (?:this|my)\b`,
    String.raw`\bwhat (?:instructions|rules|guidelines) (?:were you|have you been|did you get|did you receive)\b`,
    String.raw`\b(?:instructions|rules|guidelines|directives) (?:were you|you were|you've been|you have been) (?:programmed|given|configured|instructed|told|trained)\b`,
    String.raw`\b(?:instructions|rules|guidelines|prompt) (?:the |your )?(?:admin|administrator|developer|operator|owner|creator)s? (?:configured|gave|set|wrote|has given|defined) (?:for )?you\b`,
    String.raw`\b(?:paste|copy|quote|echo|read|repeat|print) (?:back )?(?:the |your |all )?(?:instructions|rules|guidelines|system prompt|prompt) (?:you (?:received|got|were given)|from (?:the|your) (?:operator|admin|administrator|developer))`,
    String.raw`\b(?:echo|read|spit) back your (?:instructions|rules|prompt)\b`,
    String.raw`\b(?:secret|password)\b[^.!?]{0,40}[.!?]? ?[^.!?]{0,20}\b(?:spell (?:it|them|out)|letter by letter|backwards|in reverse)\b`,
    String.raw`\b(?:everything|all) (?:that is |that's )?in your context window\b`,
  ]),
  rule(
    'fake-system-marker',
    'contains chat-template or fake system markers',
    [
      String.raw`<\|im_(?:start|end)\|>|<\|(?:system|endoftext)\|>|\[\/?inst\]|<<\/?sys>>|<\/?system>|\[system\]`,
      // "### System:" or "## new instructions ##", not a Markdown heading like "## System requirements".
      String.raw`#{2,} ?(?:system|new instructions?|instructions?) ?(?::|#{2,})`,
    ],
    0.9,
  ),
  rule('german-ignore-previous', 'asks to ignore or forget the previous instructions (German)', [
    String.raw`\b${GERMAN_DISMISS} (?:bitte )?alles\b`,
    String.raw`\b${GERMAN_DISMISS}\b(?! nicht)(?:[ ,]+\S+){0,4}?[ ,]+(?:${GERMAN_EARLIER}|davor\b|zuvor\b|vorher\b|(?:alle|deine|ihre|jegliche|samtliche) (?:\S+ )?${GERMAN_ORDERS})`,
    String.raw`\b(?:die |alle )?${GERMAN_EARLIER} \S+(?: \S+)? (?:ignorieren|vergessen|missachten|verwerfen)\b`,
    String.raw`\b(?:deine|ihre|alle) (?:\S+ )?${GERMAN_ORDERS} (?:\S+ )?(?:vergessen|ignorieren|missachten|verwerfen)\b`,
    String.raw`\b(?:abweichend (?:zu|von)|entgegen|anstatt|statt) (?:den |der |allen |deinen |ihren )?${GERMAN_EARLIER} ${GERMAN_ORDERS}`,
  ]),
  rule('german-earlier-instructions-void', 'declares the earlier instructions void (German)', [
    String.raw`\b(?:alle )?${GERMAN_EARLIER} ${GERMAN_ORDERS}\b[^.!?]{0,60}\b(?:irrelevant|ungultig|hinfallig|nichtig|unwichtig|egal|hinter sich|hinter dir|beiseite|gelten nicht mehr|nicht mehr gultig)`,
  ]),
  rule('german-new-task', 'announces a new task or new instructions (German)', [
    String.raw`\b(?:deine|ihre) neuen? (?:aufgabe|anweisung|anweisungen|rolle) (?:ist|lautet|sind|besteht)\b`,
    String.raw`\bneue (?:aufgabe|anweisung|anweisungen)\s*:`,
    String.raw`\b(?:wir )?(?:beginnen|starten|fangen) (?:wir )?(?:jetzt |nun )?(?:mit )?(?:einer |der )?neuen aufgabe`,
    String.raw`\b(?:nun|jetzt) (?:folgen|kommen) (?:noch )?(?:ein paar |einige )?(?:weitere|neue) (?:aufgaben|anweisungen)`,
  ]),
  rule('german-persona-switch', 'tells the assistant it is now someone else (German)', [
    String.raw`\bdu bist (?:jetzt|nun|ab sofort|ab jetzt) (?:ein|eine|einer|der|die|das|kein|keine|mein|meine|nicht mehr)\b`,
    String.raw`\bab (?:jetzt|sofort|nun) bist du\b|\btu so,? als (?:ob du|warst du)\b`,
  ]),
  rule('german-reveal-prompt', 'asks to reveal the system prompt or hidden instructions (German)', [
    String.raw`\b${GERMAN_ASK}\b(?:[ ,]+\S+){0,3}?[ ,]+(?:dein|deine|deinen|ihr|ihre|ihren) (?:system ?-?prompt|prompt|anweisungen|instruktionen|vorgaben|prompt-?texte?)\b`,
    String.raw`\b${GERMAN_ASK} (?:mir|uns) (?:(?:den|die|alle) )?(?:system ?-?prompt|prompt-?texte?|(?:ursprunglichen|initialen|geheimen|versteckten) (?:anweisungen|instruktionen|prompt))\b`,
    String.raw`\bwelche (?:anweisungen|instruktionen|regeln|vorgaben) (?:hast du|haben sie|du|sie)\b[^.!?]{0,40}\b(?:bekommen|erhalten)`,
  ]),
  rule(
    'other-language-ignore-previous',
    'asks to ignore the previous instructions (another language)',
    [
      String.raw`\b(?:oubliez|oublie|ignorez|ignore) (?:toutes? )?(?:les|tes|vos) (?:instructions|consignes|regles)`,
      String.raw`\b(?:ignora|olvida|ignore|olvide) (?:todas )?(?:las|tus|sus) (?:instrucciones|indicaciones|reglas)`,
      String.raw`\b(?:ignora|dimentica) (?:tutte )?(?:le )?(?:istruzioni|indicazioni|regole)`,
      String.raw`\b(?:ignore|ignora|esqueca|esquece) (?:todas )?(?:as )?(?:instrucoes|regras)`,
      String.raw`\b(?:negeer|vergeet) (?:alle )?(?:vorige |eerdere )?(?:instructies|regels|opdrachten)`,
      String.raw`\b(?:zaboravi|ignoriraj|zanemari) (?:sve )?(?:prethodne )?(?:instrukcije|upute|uputstva)`,
      // Cyrillic letters are not word characters to \b, hence no boundary here.
      String.raw`(?:забудь|забудьте|игнорир\S*) (?:все )?(?:предыдущие )?(?:инструкции|указания|правила)`,
    ],
  ),
];

export function matchInjectionRules(text: string): InjectionRule[] {
  const normalised = normaliseText(text);
  return INJECTION_RULES.filter((candidate) => candidate.pattern.test(normalised));
}

/**
 * Noisy-OR of the classifier's probability and the confidence of each rule that fired: any
 * one strong signal is enough, and independent signals reinforce each other.
 */
export function combineInjectionScores(
  modelProbability: number,
  fired: readonly InjectionRule[],
): number {
  let clean = 1 - modelProbability;
  for (const firedRule of fired) clean *= 1 - firedRule.confidence;
  return 1 - clean;
}
