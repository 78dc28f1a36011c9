using System.Net;
using System.Text;

namespace LongRecipe.Engine.Corpora.Packages;

/// <summary>An element's start tag: its lower-case name and attributes (values decoded).</summary>
public sealed record HtmlTag(string Name, IReadOnlyDictionary<string, string> Attributes)
{
    public string? Id => Attributes.GetValueOrDefault("id");

    /// <summary>Whether the class attribute lists <paramref name="name"/> ("docnav top" has docnav and top).</summary>
    public bool HasClass(string name) =>
        Attributes.TryGetValue("class", out var classes) && classes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(name);
}

/// <summary>
/// HTML to plain text as a reader sees the page: block elements (paragraphs, headings, divisions, lists, tables)
/// become paragraphs separated by a blank line, line breaks and list items become lines ("- " before an item),
/// runs of white space collapse to one space except inside &lt;pre&gt;, character references are decoded, and
/// what is not text (head, script, style, comments, and any element <c>skip</c> names, e.g. navigation) is
/// left out with everything inside it. Tolerant: a tag that never closes ends at the end of the input.
/// </summary>
public static class HtmlText
{
    private static readonly HashSet<string> Invisible = ["head", "script", "style", "noscript", "template", "svg", "math"];
    private static readonly HashSet<string> Void = ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"];
    private static readonly HashSet<string> Paragraphs =
    [
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "pre", "blockquote", "section", "article",
        "header", "footer", "figure", "figcaption", "hr", "form", "main", "aside", "nav", "address", "fieldset", "details", "summary", "caption",
    ];
    private static readonly HashSet<string> Lines = ["br", "li", "dt", "dd", "tr"];

    /// <summary>The text of <paramref name="html"/>; elements <paramref name="skip"/> accepts are left out whole.</summary>
    public static string ToText(string html, Func<HtmlTag, bool>? skip = null)
    {
        var output = new TextOutput();
        string? skipping = null;  // the name of the element being left out, and how deep in it we are
        var skipDepth = 0;
        var preDepth = 0;
        var i = 0;
        while (i < html.Length)
        {
            if (html[i] != '<')
            {
                var end = html.IndexOf('<', i);
                if (end < 0) end = html.Length;
                if (skipping is null) output.Text(WebUtility.HtmlDecode(html[i..end]), preformatted: preDepth > 0);
                i = end;
                continue;
            }
            if (At(html, i, "<!--"))
            {
                i = After(html, i + 4, "-->");
                continue;
            }
            if (At(html, i, "<![CDATA["))
            {
                var end = html.IndexOf("]]>", i + 9, StringComparison.Ordinal);
                if (end < 0) end = html.Length;
                if (skipping is null) output.Text(html[(i + 9)..end], preformatted: preDepth > 0);
                i = Math.Min(html.Length, end + 3);
                continue;
            }
            if (i + 1 < html.Length && html[i + 1] is '!' or '?')
            {
                i = After(html, i + 1, ">");
                continue;
            }
            var closing = i + 1 < html.Length && html[i + 1] == '/';
            var nameStart = closing ? i + 2 : i + 1;
            if (nameStart >= html.Length || !char.IsAsciiLetter(html[nameStart]))
            {
                // A lone '<' is text.
                if (skipping is null) output.Text("<", preformatted: preDepth > 0);
                i++;
                continue;
            }
            var (tag, selfClosing, next) = ParseTag(html, nameStart);
            i = next;
            var name = tag.Name;
            if (!closing && !selfClosing && name is "script" or "style")
            {
                // Raw text: a '<' inside a script starts no tag.
                var end = html.IndexOf("</" + name, i, StringComparison.OrdinalIgnoreCase);
                i = end < 0 ? html.Length : end;
                continue;
            }

            if (skipping is not null)
            {
                // Inside a left-out element only its own nesting matters.
                if (name == skipping && !Void.Contains(name) && !selfClosing) skipDepth += closing ? -1 : 1;
                if (skipDepth == 0) skipping = null;
                continue;
            }
            if (!closing && (Invisible.Contains(name) || (skip?.Invoke(tag) ?? false)))
            {
                if (Void.Contains(name) || selfClosing) continue;
                (skipping, skipDepth) = (name, 1);
                continue;
            }

            if (name == "pre") preDepth = Math.Max(0, preDepth + (closing ? -1 : selfClosing ? 0 : 1));
            if (Paragraphs.Contains(name)) output.Break(2);
            else if (Lines.Contains(name)) output.Break(1);
            if (!closing && name == "li") output.Item();
            if (closing && name is "td" or "th") output.Text(" ", preformatted: false);
        }
        return output.ToString();
    }

    /// <summary>The decoded text of the page's &lt;title&gt;, or null without one.</summary>
    public static string? Title(string html)
    {
        var start = html.IndexOf("<title", StringComparison.OrdinalIgnoreCase);
        if (start < 0) return null;
        var open = html.IndexOf('>', start);
        var end = html.IndexOf("</title", StringComparison.OrdinalIgnoreCase);
        if (open < 0 || end < open) return null;
        var title = string.Join(' ', WebUtility.HtmlDecode(html[(open + 1)..end]).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return title.Length > 0 ? title : null;
    }

    private static bool At(string html, int i, string text) => string.CompareOrdinal(html, i, text, 0, text.Length) == 0;

    private static int After(string html, int from, string end)
    {
        var at = html.IndexOf(end, from, StringComparison.Ordinal);
        return at < 0 ? html.Length : at + end.Length;
    }

    /// <summary>Reads a tag from its name to its '&gt;' (quoted attribute values may hold '&gt;').</summary>
    private static (HtmlTag Tag, bool SelfClosing, int Next) ParseTag(string html, int nameStart)
    {
        var i = nameStart;
        while (i < html.Length && (char.IsAsciiLetterOrDigit(html[i]) || html[i] is '-' or ':' or '_')) i++;
        var name = html[nameStart..i].ToLowerInvariant();
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        var selfClosing = false;
        while (i < html.Length && html[i] != '>')
        {
            if (char.IsWhiteSpace(html[i]))
            {
                i++;
                continue;
            }
            if (html[i] == '/')
            {
                selfClosing = true;
                i++;
                continue;
            }
            var attributeStart = i;
            while (i < html.Length && !char.IsWhiteSpace(html[i]) && html[i] is not ('=' or '>' or '/')) i++;
            var attribute = html[attributeStart..i].ToLowerInvariant();
            if (i == attributeStart)
            {
                i++;
                continue;
            }
            var value = "";
            if (i < html.Length && html[i] == '=')
            {
                i++;
                if (i < html.Length && html[i] is '"' or '\'')
                {
                    var quote = html[i];
                    var end = html.IndexOf(quote, i + 1);
                    if (end < 0) end = html.Length;
                    value = html[(i + 1)..end];
                    i = Math.Min(html.Length, end + 1);
                }
                else
                {
                    var valueStart = i;
                    while (i < html.Length && !char.IsWhiteSpace(html[i]) && html[i] != '>') i++;
                    value = html[valueStart..i];
                }
            }
            selfClosing = false;
            attributes.TryAdd(attribute, WebUtility.HtmlDecode(value));
        }
        return (new HtmlTag(name, attributes), selfClosing, Math.Min(html.Length, i + 1));
    }

    /// <summary>The text being written: collapses white space, and turns requested breaks into at most one blank line.</summary>
    private sealed class TextOutput
    {
        private readonly StringBuilder text = new();
        private int pendingBreaks;
        private bool pendingItem;

        public void Break(int newlines) => pendingBreaks = Math.Max(pendingBreaks, newlines);

        /// <summary>A list item: "- " goes before its first text, whatever blocks open inside it first.</summary>
        public void Item() => pendingItem = true;

        public void Text(string run, bool preformatted)
        {
            foreach (var c in run)
            {
                if (!preformatted && char.IsWhiteSpace(c))
                {
                    // One space between words; none at the start of a line or before a pending break.
                    if (text.Length > 0 && text[^1] is not (' ' or '\n') && pendingBreaks == 0) text.Append(' ');
                    continue;
                }
                if (pendingBreaks > 0)
                {
                    TrimTrailingSpaces();
                    if (text.Length > 0) text.Append('\n', pendingBreaks - TrailingNewlines());
                    pendingBreaks = 0;
                }
                if (pendingItem) text.Append("- ");
                pendingItem = false;
                text.Append(c);
            }
        }

        public override string ToString() => text.ToString().Trim();

        private void TrimTrailingSpaces()
        {
            while (text.Length > 0 && text[^1] == ' ') text.Length--;
        }

        private int TrailingNewlines()
        {
            var count = 0;
            for (var k = text.Length - 1; k >= 0 && text[k] == '\n'; k--) count++;
            return Math.Min(count, pendingBreaks);
        }
    }
}
