using System.Collections.Immutable;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.SafeTensors;

/// <summary>
/// One tensor's header entry, validated: its bytes are [<see cref="Begin"/>, <see cref="End"/>)
/// of the data buffer (offsets from the buffer's start, not the file's), holding the
/// row-major little-endian elements of <see cref="Shape"/>. An empty shape is a 0-dim tensor of one element.
/// </summary>
public sealed record SafeTensorsEntry(string Name, DType DType, ImmutableArray<long> Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;

    public override string ToString() => $"{Name}: {DType.ShortName()} [{string.Join(", ", Shape)}] at [{Begin}, {End})";
}
