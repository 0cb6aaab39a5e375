// The style rules a loaded document can use, in its stylesheets' order (relance_app.pdf.chromium,
// Chromium.layout): a rule whose selector matches no element of the document (pseudo-elements and
// states set aside) is left out, a media or supports block keeps the rules of its own that match,
// every other at-rule (font faces, page, keyframes) is kept. A selector Chromium cannot query is kept.
// Evaluated as one expression; null when a stylesheet cannot be read.
(() => {
	// as in Chromium's template of the document: its content inside a .print-format block
	const wrapper = document.createElement("div");
	wrapper.className = "print-format";
	wrapper.append(...[...document.body.childNodes].filter((n) => !["STYLE", "LINK"].includes(n.nodeName)));
	document.body.append(wrapper);
	const PSEUDO = new RegExp(
		"::?(before|after|first-line|first-letter|marker|placeholder|selection|backdrop|hover|"
		+ "focus-within|focus-visible|focus|active|visited|link|-webkit-[\\w-]+|-moz-[\\w-]+|-ms-[\\w-]+)"
		+ "(?![\\w-])(\\([^)]*\\))?", "gi");
	const used = (selector) => {
		const bare = selector.replace(PSEUDO, "");
		if (!bare.trim()) return true;
		try { return document.querySelector(bare) !== null; } catch (e) { return true; }
	};
	const keep = (rules) => {
		const out = [];
		for (const rule of rules) {
			if (rule instanceof CSSStyleRule) {
				if (used(rule.selectorText)) out.push(rule.cssText);
			} else if (rule instanceof CSSMediaRule || rule instanceof CSSSupportsRule) {
				const inner = keep(rule.cssRules);
				const at = rule instanceof CSSMediaRule ? "@media" : "@supports";
				if (inner.length) out.push(`${at} ${rule.conditionText} {${inner.join("")}}`);
			} else {
				out.push(rule.cssText);
			}
		}
		return out;
	};
	const out = [];
	for (const sheet of document.styleSheets) {
		let rules = null;
		try { rules = sheet.cssRules; } catch (e) { return null; }
		out.push(...keep(rules));
	}
	return out.join("\n");
})()
