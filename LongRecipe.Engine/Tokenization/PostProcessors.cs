namespace LongRecipe.Engine.Tokenization;

/// <summary>Adds the special tokens around an encoded text (HF's post-processor), for a single sequence.</summary>
internal interface IPostProcessor
{
    List<int> Process(List<int> ids, bool addSpecialTokens);
}

/// <summary>One item of a template: the encoded text itself, or the ids of a named special token.</summary>
internal abstract record TemplatePiece
{
    public sealed record Sequence : TemplatePiece;
    public sealed record Special(string Name, IReadOnlyList<int> Ids) : TemplatePiece;
}

/// <summary>
/// HF's TemplateProcessing for a single sequence, e.g. Llama-2's "&lt;s&gt; $A": the pieces in order,
/// special ones only when special tokens are asked for.
/// </summary>
internal sealed record TemplateProcessor(IReadOnlyList<TemplatePiece> Single) : IPostProcessor
{
    public List<int> Process(List<int> ids, bool addSpecialTokens)
    {
        var result = new List<int>(ids.Count + 4);
        foreach (var piece in Single)
        {
            if (piece is TemplatePiece.Special special)
            {
                if (addSpecialTokens) result.AddRange(special.Ids);
            }
            else
            {
                result.AddRange(ids);
            }
        }
        return result;
    }
}

/// <summary>Post-processors that leave the ids as they are (HF's ByteLevel one only trims offsets).</summary>
internal sealed record IdentityProcessor : IPostProcessor
{
    public List<int> Process(List<int> ids, bool addSpecialTokens) => ids;
}

/// <summary>Applies each post-processor in turn.</summary>
internal sealed record SequenceProcessor(IReadOnlyList<IPostProcessor> Processors) : IPostProcessor
{
    public List<int> Process(List<int> ids, bool addSpecialTokens)
    {
        foreach (var processor in Processors) ids = processor.Process(ids, addSpecialTokens);
        return ids;
    }
}
