namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// Adds the special tokens around an encoded text (HF's post-processor), for a single sequence: as a template, the
/// text itself at each <see cref="TemplatePiece.Sequence"/>, so that a long text's ids can be written as they come.
/// </summary>
internal interface IPostProcessor
{
    IReadOnlyList<TemplatePiece> Single { get; }
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
internal sealed record TemplateProcessor(IReadOnlyList<TemplatePiece> Single) : IPostProcessor;

/// <summary>Post-processors that leave the ids as they are (HF's ByteLevel one only trims offsets).</summary>
internal sealed record IdentityProcessor : IPostProcessor
{
    public IReadOnlyList<TemplatePiece> Single { get; } = [new TemplatePiece.Sequence()];
}

/// <summary>Applies each post-processor in turn: each one's template holds what the one before made at its Sequence.</summary>
internal sealed record SequenceProcessor(IReadOnlyList<IPostProcessor> Processors) : IPostProcessor
{
    public IReadOnlyList<TemplatePiece> Single =>
        Processors.Aggregate<IPostProcessor, IReadOnlyList<TemplatePiece>>([new TemplatePiece.Sequence()],
            (inner, processor) => [.. processor.Single.SelectMany(p => p is TemplatePiece.Sequence ? inner : [p])]);
}
