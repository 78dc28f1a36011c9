using LongRecipe.Engine.IO;

namespace LongRecipe.Engine.Tests.IO;

/// <summary>The one JSON field reader: every error names the source and the field's path.</summary>
public class JsonFieldTests
{
    private static JsonFieldException Fails(string json, Action<JsonField> read)
    {
        using var document = JsonField.Parse(json, "x.json");
        return Assert.Throws<JsonFieldException>(() => read(JsonField.Root(document, "x.json")));
    }

    [Fact]
    public void Values_are_read_at_their_paths()
    {
        using var document = JsonField.Parse("""{"a": {"b": [1, 2.5]}, "c": null, "d": true, "e": [3, 4]}""", "x.json");
        var root = JsonField.Root(document, "x.json");
        var items = root.Required("a").Required("b").Items().ToList();
        Assert.Equal(("a.b[1]", 2.5), (items[1].Path, items[1].Double()));
        Assert.Null(root.Optional("c"));
        Assert.True(root.Has("c"));
        Assert.False(root.Has("z"));
        Assert.True(root.Bool("d", false));
        Assert.Equal([3L, 4], root.Required("e").Longs());
    }

    [Fact]
    public void Wrong_types_missing_and_unknown_fields_name_the_field()
    {
        var wrong = Fails("""{"a": {"b": [1, "x"]}}""", r => r.Required("a").Required("b").Longs());
        Assert.Equal("x.json: a.b[1] must be an integer, got \"x\"", wrong.Message);
        Assert.Equal(("a.b[1]", "must be an integer, got \"x\""), (wrong.Field, wrong.Problem));

        Assert.Equal("x.json: a.c is missing", Fails("""{"a": {}}""", r => r.Required("a").Required("c")).Message);
        Assert.Equal("x.json: n must be an integer ≥ 1, got 0", Fails("""{"n": 0}""", r => r.Required("n").Int(min: 1)).Message);
        Assert.Equal("x.json: ids[1] must be an integer in [0, 2147483647], got 4294967305",
            Fails("""{"ids": [1, 4294967305]}""", r => r.Required("ids").Ints(min: 0)).Message);
        Assert.Equal("x.json: typo is not a field here (expected text)", Fails("""{"typo": 1}""", r => r.OnlyFields("text")).Message);
        Assert.Equal("x.json: text holds a lone surrogate (a \\uD800–\\uDFFF escape without its pair)",
            Fails("""{"text": "a\ud800b"}""", r => r.Required("text").String()).Message);
        using var list = JsonField.Parse("[1]", "x.json");
        Assert.Equal("x.json: the document must be an object, got [1]", Assert.Throws<JsonFieldException>(() => JsonField.Root(list, "x.json")).Message);
    }

    [Fact]
    public void Broken_json_says_where_and_long_values_are_cut()
    {
        Assert.StartsWith("x.json: not valid JSON (line 2,", Assert.Throws<JsonFieldException>(() => JsonField.Parse("{\n ,}", "x.json")).Message);
        // A key written twice, at any depth, is refused: one reader takes the first, another the last. The object holding it is named.
        static string Twice(string json) => Assert.Throws<JsonFieldException>(() => JsonField.Parse(json, "x.json")).Message;
        const string Neither = "JSON readers differ on which they keep, the first or the last, so neither is taken";
        Assert.Equal($"x.json: a has 'seed' written twice (0, then 1): {Neither}", Twice("{\"a\": {\"seed\": 0, \"seed\": 1}}"));
        Assert.Equal($"x.json: a[1] has 'b' written twice (\"x\", then [2]): {Neither}", Twice("{\"a\": [{}, {\"b\": \"x\", \"b\": [2]}]}"));
        Assert.Equal($"x.json: the document has 'a' written twice (1, then 1): {Neither}", Twice("{\"a\": 1, \"a\": 1}"));
        // Broken JSON after the repeat is named as such.
        Assert.StartsWith("x.json: not valid JSON (line 2,", Twice("{\"a\": {\"b\": 1, \"b\": 2},\n ,}"));
        var list = "[" + string.Join(", ", Enumerable.Range(0, 100)) + "]";
        var error = Fails($$"""{"a": {{list}}}""", r => r.Required("a").String());
        Assert.EndsWith("…", error.Message);
        Assert.True(error.Message.Length < 130, error.Message);
    }
}
