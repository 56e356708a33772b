import { normaliseText } from './injection-features.js';

/** An explicit pattern for a well-known attack phrasing, with the reason it reports. */
export interface InjectionRule {
  id: string;
  reason: string;
  /** Probability that a text matching the rule is an injection; all are above any threshold. */
  confidence: number;
  /** Matched against normalised text: lowercase, accents folded, whitespace collapsed. */
  pattern: RegExp;
}

/*
 * Patterns see normalised text, so they are written in lowercase without accents
 * ("ubersetze", "fur", "vergiss"). Each one needs the attack's shape — a verb aimed at the
 * earlier instructions, a persona switch, a request for the prompt itself — not just a
 * keyword, so that "How do I roll back a policy?" or "Vergiss nicht die Fenster" stay clean.
 */
const EARLIER = String.raw`(?:previous|prior|above|earlier|preceding|foregoing|former|initial|original|old|given)`;
const ORDERS = String.raw`(?:instructions?|prompts?|directions?|directives?|rules|guidelines|commands?|context|tasks?|assignments?|information|programming|restrictions|constraints|orders|messages?|text)`;
const DISMISS = String.raw`(?:ignore|disregard|forget|override|bypass|abandon|discard)`;
/** Instructions proper; generic nouns like "message" only count with an "earlier" word. */
const STRICT_ORDERS = String.raw`(?:instructions?|prompts?|directions|directives|rules|guidelines|commands|programming|restrictions)`;
const GERMAN_DISMISS = String.raw`(?:vergiss|vergesst|vergessen sie|ignoriere|ignoriert|ignorieren sie|missachte|missachten sie|verwirf|verwerfen sie)`;
const GERMAN_EARLIER = String.raw`(?:vorherig|bisherig|obig|vorig|vorangegangen|vorausgegangen|fruher|ursprunglich)\w*`;
const GERMAN_ORDERS = String.raw`(?:anweisung|instruktion|befehl|aufgabe|information|regel|vorgabe|richtlinie|nachricht|prompt)\w*`;

function rule(id: string, reason: string, source: string, confidence = 0.95): InjectionRule {
  return { id, reason, confidence, pattern: new RegExp(source, 'u') };
}

export const INJECTION_RULES: readonly InjectionRule[] = [
  rule(
    'ignore-previous-instructions',
    'asks to ignore or forget the previous instructions',
    String.raw`\b${DISMISS} (?:about )?(?:(?:all|any|every|each|the|your|these|those|of|what|that) )*(?:${EARLIER} ${ORDERS}|${ORDERS} (?:above|before|so far|you (?:were|have been) given))|\b(?:ignore|disregard|forget) (?:all |everything )?(?:the )?(?:above|preceding|foregoing|previous|prior)\b|\b${DISMISS} (?:all|any|your) (?:of )?(?:your |the )?${STRICT_ORDERS}\b`,
  ),
  rule(
    'forget-everything',
    'asks to forget everything said before',
    String.raw`\b(?:forget|ignore|disregard) (?:about )?(?:absolutely )?(?:everything|anything|all(?: of)? that|what (?:i|you|we) (?:said|told|wrote|discussed)|what you (?:were|have been) told)(?: (?:above|before|previously|so far|until now|up to now|we discussed|i said|you were told)\b|,? (?:and|now|then)\b| you (?:know|learned|have learned|were taught)(?: so far)?(?: and\b|[.!,;]|$))|\b(?:despite|regardless of|contrary to|in spite of) (?:what|anything|everything) (?:you(?:'ve| have)? been|you were|i) told\b|\b(?:contrary to|instead of|deviating from) (?:the |your |all )?${EARLIER} ${ORDERS}`,
  ),
  rule(
    'earlier-instructions-void',
    'declares the earlier instructions void',
    String.raw`\b(?:all )?${EARLIER} (?:${ORDERS}|informations?)\b[^.!?]{0,40}\b(?:(?:is|are) (?:now )?(?:irrelevant|invalid|void|obsolete|cancell?ed|null)|no longer (?:apply|valid|relevant|matter))`,
  ),
  rule(
    'new-instructions',
    'announces new instructions or a new task',
    String.raw`\b(?:your|the) (?:new|real|actual|true) (?:task|instructions?|role|job|assignment|mission|purpose|goal) (?:is|are|will be|now)\b|\bnew (?:task|instructions?|rules?)\s*:|\bnow (?:focus on|follow) (?:your|my|these|the) new\b|\b(?:now|next) (?:come|comes|follow|follows) (?:some |a few )?(?:new|further|more|additional) (?:tasks|instructions)|\b(?:start|begin) (?:over |again )?with a new task\b|\badditional instructions?\s*[:-]|\b(?:change|update|replace|overwrite|modify|rewrite) (?:your|the) (?:instructions|rules|system prompt|prompt|programming|guidelines)\b(?! (?:for|on|about|in)\b)|\byour (?:new )?instructions are now\b`,
  ),
  rule(
    'persona-switch',
    'tells the assistant it is now someone else',
    String.raw`\byou are now (?:a|an|the|my|no longer|free|unrestricted|going|called|named|known|acting|playing|dan)\b|\b(?:from now on|starting now|henceforth),? (?:you (?:are|will|must|shall|should|act|respond|answer|only|can)|your (?:name|role|task|job) is)\b`,
  ),
  rule(
    'jailbreak-mode',
    'requests a jailbreak persona or mode (DAN, developer mode)',
    String.raw`\bdo anything now\b|\b(?:developer|dev|god|jailbreak|jailbroken|unfiltered|unrestricted|uncensored|evil|dan|dude|opposite) mode\b|\b(?:act as|you are|you're|pretend to be|become) dan\b|\bjailbroken\b|\bstay in character\b`,
  ),
  rule(
    'disable-safeguards',
    'asks the assistant to drop its restrictions or safety rules',
    String.raw`\b(?:you|your|ai|assistant|chatbot|model|chatgpt|gpt|llm)\b[^.!?]{0,40}\b(?:no|without|free (?:from|of)|freed from|not bound by|bypass(?:es|ing)?|ignor(?:e|es|ing)|disable[sd]?|remove[sd]?|turn off|break free of)\b[^.!?]{0,25}\b(?:censorship|content polic(?:y|ies)|content filters?|(?:safety|ethical|moral) (?:rules|guidelines|measures|filters?|constraints|principles|boundaries|restrictions)|safeguards|guardrails)\b|\b(?:you|ai|assistant|model) (?:have|has) no (?:restrictions|limits|limitations|rules|filters|boundaries)\b`,
  ),
  rule(
    'reveal-system-prompt',
    'asks to reveal the system prompt or hidden instructions',
    String.raw`\b(?:reveal|show|print|display|output|repeat|tell|give|write|dump|leak|share|spell out|list|what (?:is|are|were|was))\b (?:(?:me|us|all|the|of|your|out|exactly|verbatim) )*(?:system (?:prompt|message|instructions)|(?:initial|original|hidden|secret|internal|full|complete|exact|entire) (?:prompt|instructions)|prompt ?texts?|your (?:prompt|instructions)(?! (?:for|on|about|to)\b))|\b(?:repeat|print|output|write out|spell out|copy) (?:(?:me|all|the|everything|exactly|verbatim) )*(?:(?:text|words|content|lines|messages?) )?(?:above|before this|preceding|prior to this)\b|\bwhat (?:is|was) (?:written|said|stated) (?:at the (?:beginning|start|top) of (?:this|the|your) (?:prompt|conversation|instructions)|above|before this)|\b(?:everything|all) (?:that )?(?:was|you were|has been|have been) (?:said|told|given) (?:to you )?before (?:this|my)\b|\bwhat (?:instructions|rules|guidelines) (?:were you|have you been|did you get|did you receive) (?:given|told)?`,
  ),
  rule(
    'fake-system-marker',
    'contains chat-template or fake system markers',
    String.raw`<\|im_(?:start|end)\|>|<\|(?:system|endoftext)\|>|\[\/?inst\]|<<\/?sys>>|<\/?system>|\[system\]|#{2,}\s*(?:system|new instructions?|instruction)\b`,
    0.9,
  ),
  rule(
    'german-ignore-previous',
    'asks to ignore or forget the previous instructions (German)',
    String.raw`\b${GERMAN_DISMISS}\b(?! nicht)(?:[ ,]+\S+){0,4}?[ ,]+(?:alles\b|${GERMAN_EARLIER}|davor\b|zuvor\b|vorher\b|(?:alle|deine|ihre|jegliche|samtliche) (?:\S+ )?${GERMAN_ORDERS})|\b(?:die |alle )?${GERMAN_EARLIER} \S+(?: \S+)? (?:ignorieren|vergessen|missachten|verwerfen)\b|\b(?:abweichend (?:zu|von)|entgegen|anstatt|statt) (?:den |der |allen |deinen |ihren )?${GERMAN_EARLIER} ${GERMAN_ORDERS}|\b(?:deine|ihre|alle) (?:\S+ )?${GERMAN_ORDERS} (?:\S+ )?(?:vergessen|ignorieren|missachten|verwerfen)\b`,
  ),
  rule(
    'german-earlier-instructions-void',
    'declares the earlier instructions void (German)',
    String.raw`\b(?:alle )?${GERMAN_EARLIER} ${GERMAN_ORDERS}\b[^.!?]{0,60}\b(?:irrelevant|ungultig|hinfallig|nichtig|unwichtig|egal|hinter sich|hinter dir|beiseite|gelten nicht mehr|nicht mehr gultig)`,
  ),
  rule(
    'german-new-task',
    'announces a new task or new instructions (German)',
    String.raw`\b(?:deine|ihre|eine|die) neuen? (?:aufgabe|anweisung|anweisungen|rolle) (?:ist|lautet|sind|besteht)\b|\bneue (?:aufgabe|anweisung|anweisungen)\s*:|\b(?:wir )?(?:beginnen|starten|fangen) (?:wir )?(?:jetzt |nun )?(?:mit )?(?:einer |der )?neuen aufgabe|\b(?:nun|jetzt) (?:folgen|kommen) (?:noch )?(?:ein paar |einige )?(?:weitere|neue) (?:aufgaben|anweisungen)`,
  ),
  rule(
    'german-persona-switch',
    'tells the assistant it is now someone else (German)',
    String.raw`\bdu bist (?:jetzt|nun|ab sofort|ab jetzt) (?:ein|eine|einer|der|die|das|kein|keine|mein|meine|nicht mehr)\b|\bab (?:jetzt|sofort|nun) (?:bist|wirst|sollst|musst) du\b|\btu so,? als (?:ob du|warst du)\b`,
  ),
  rule(
    'german-reveal-prompt',
    'asks to reveal the system prompt or hidden instructions (German)',
    String.raw`\b(?:zeig|zeige|zeigen sie|gib|geben sie|nenne|nennen sie|verrate|verraten sie|drucke|wiederhole|schreib|schreibe|was (?:ist|sind|war|waren))\b(?:[ ,]+\S+){0,4}?[ ,]+(?:(?:dein|deine|deinen|ihr|ihre|ihren) (?:system ?prompt|prompt|anweisungen|instruktionen|vorgaben)|system ?-?prompt|prompt-?texte?|(?:ursprunglichen|initialen|geheimen|versteckten) (?:anweisungen|instruktionen|prompt))|\bwelche (?:anweisungen|instruktionen|regeln|vorgaben) (?:hast du|haben sie|du|sie)\b[^.!?]{0,40}\b(?:bekommen|erhalten)`,
  ),
  rule(
    'other-language-ignore-previous',
    'asks to ignore or forget the previous instructions (another language)',
    [
      String.raw`\b(?:oubliez|oublie|ignorez|ignore) (?:toutes? )?(?:les|tes|vos) (?:instructions|consignes|regles)`,
      String.raw`\b(?:ignora|olvida|ignore|olvide) (?:todas )?(?:las|tus|sus) (?:instrucciones|indicaciones|reglas)`,
      String.raw`\b(?:ignora|dimentica) (?:tutte )?(?:le )?(?:istruzioni|indicazioni|regole)`,
      String.raw`\b(?:ignore|ignora|esqueca|esquece) (?:todas )?(?:as )?(?:instrucoes|regras)`,
      String.raw`\b(?:negeer|vergeet) (?:alle )?(?:vorige |eerdere )?(?:instructies|regels|opdrachten)`,
      String.raw`\b(?:zaboravi|ignoriraj|zanemari) (?:sve )?(?:prethodne )?(?:instrukcije|upute|uputstva)`,
      String.raw`(?:забудь|забудьте|игнорир\S*) (?:все )?(?:предыдущие )?(?:инструкции|указания|правила)`,
    ].join('|'),
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
