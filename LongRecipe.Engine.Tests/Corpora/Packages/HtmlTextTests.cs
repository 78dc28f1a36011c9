using LongRecipe.Engine.Corpora.Packages;

namespace LongRecipe.Engine.Tests.Corpora.Packages;

public class HtmlTextTests
{
    [Fact]
    public void Blocks_become_paragraphs_and_white_space_collapses_except_in_pre()
    {
        const string html = """
            <html><head><title>T</title><style>p { color: red }</style></head><body>
            <h1>A   heading</h1>
            <p>First   paragraph,
               over two lines.</p><p>Second<br/>line two</p>
            <pre>  keep
                this</pre>
            <ul><li><div class="para">one</div></li><li>two</li></ul>
            <table><tr><td>a</td><td>b</td></tr></table>
            </body></html>
            """;

        // The raw literal drops 12 columns of indentation, so the pre's second line keeps 4; an item holding a block is a loose one.
        Assert.Equal("A heading\n\nFirst paragraph, over two lines.\n\nSecond\nline two\n\n  keep\n    this\n\n- one\n\n- two\n\na b",
            HtmlText.ToText(html));
    }

    [Fact]
    public void References_comments_scripts_and_cdata_are_handled()
    {
        const string html = "<p>fish &amp; chips &lt;3 &#233;t&#xE9; &nbsp;x</p><!-- <p>hidden</p> --><script>if (a<b) { document.write('<p>no</p>') }</script>"
                            + "<p><![CDATA[raw <text>]]></p><p>5 < 6</p>";

        Assert.Equal("fish & chips <3 été x\n\nraw <text>\n\n5 < 6", HtmlText.ToText(html));
    }

    [Fact]
    public void Elements_the_caller_skips_go_whole_nested_ones_included()
    {
        const string html = """<div id="banner">Download<div>more</div></div><ul class="docnav top"><li>Prev</li></ul><div class="para">Text <span title="a > b">here</span></div><div class="toc"><div>x</div></div>tail""";

        var text = HtmlText.ToText(html, tag => tag.Id == "banner" || tag.HasClass("docnav") || tag.HasClass("toc"));

        Assert.Equal("Text here\n\ntail", text);
    }

    [Fact]
    public void Unclosed_markup_ends_with_the_input()
    {
        Assert.Equal("open", HtmlText.ToText("<p>open<div class=\"x"));
        Assert.Equal("", HtmlText.ToText("<!-- never closed"));
    }

    [Fact]
    public void The_title_is_read_decoded()
    {
        Assert.Equal("Chapter 6. Tools & more", HtmlText.Title("<html><head><title>Chapter 6.\n  Tools &amp; more</title></head></html>"));
        Assert.Null(HtmlText.Title("<p>no title</p>"));
    }
}
