using LongRecipe.Engine.Tests.Support;
using System.Buffers.Binary;
using System.Text.Json;
using LongRecipe.Engine.SafeTensors;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.SafeTensors;

/// <summary>What the writer puts on disk, read back with the plain JSON parser, not the safetensors reader.</summary>
public class WriterLayoutTests
{
    [Fact]
    public void Header_is_space_padded_to_8_bytes_with_sorted_keys_and_contiguous_offsets()
    {
        using var folder = new TempFolder();
        using var scope = DisposeScope.Enter();
        var tensors = new Dictionary<string, Tensor>
        {
            ["b.weight"] = Tensor.Arange(3, DType.Float32),
            ["a.bytes"] = Tensor.Arange(3, DType.UInt8),
            ["c.ids"] = Tensor.Arange(2).Reshape(1, 2),
            ["e.empty"] = Tensor.Zeros([0, 3]),
            ["d.scale"] = Tensor.FromArray([0.5f], [], DType.BFloat16),
        };
        var path = folder.File("layout.safetensors");

        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["z"] = "last", ["a"] = "first" });

        var bytes = File.ReadAllBytes(path);
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var dataStart = 8 + headerLength;
        Assert.Equal(0, dataStart % 8);
        var header = bytes.AsSpan(8, (int)headerLength);
        var jsonEnd = header.LastIndexOf((byte)'}') + 1;
        Assert.True(header.Length - jsonEnd < 8);
        Assert.All(header[jsonEnd..].ToArray(), b => Assert.Equal((byte)' ', b));

        using var json = JsonDocument.Parse(header.ToArray());
        var properties = json.RootElement.EnumerateObject().ToList();
        Assert.Equal(["__metadata__", "a.bytes", "b.weight", "c.ids", "d.scale", "e.empty"], properties.Select(p => p.Name));
        Assert.Equal(["a", "z"], properties[0].Value.EnumerateObject().Select(p => p.Name));

        long expectedBegin = 0;
        foreach (var property in properties.Skip(1))
        {
            var tensor = tensors[property.Name];
            Assert.Equal(["dtype", "shape", "data_offsets"], property.Value.EnumerateObject().Select(p => p.Name));
            Assert.Equal(SafeTensorsFormat.DTypeCode(tensor.DType), property.Value.GetProperty("dtype").GetString());
            Assert.Equal(tensor.Shape, property.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
            var offsets = property.Value.GetProperty("data_offsets").EnumerateArray().Select(o => o.GetInt64()).ToArray();
            Assert.Equal(expectedBegin, offsets[0]);
            Assert.Equal(HandBuilt.BytesOf(tensor), bytes[(int)(dataStart + offsets[0])..(int)(dataStart + offsets[1])]);
            expectedBegin = offsets[1];
        }
        Assert.Equal(bytes.Length - dataStart, expectedBegin);
    }

    [Fact]
    public void Same_input_gives_the_same_bytes()
    {
        using var folder = new TempFolder();
        using var scope = DisposeScope.Enter();
        var first = new Dictionary<string, Tensor> { ["x"] = Tensor.Ones([2]), ["y"] = Tensor.Zeros([3], DType.Int32) };
        var second = new Dictionary<string, Tensor> { ["y"] = first["y"], ["x"] = first["x"] };

        SafeTensorsWriter.Write(folder.File("1"), first, new Dictionary<string, string> { ["k"] = "v", ["j"] = "w" });
        SafeTensorsWriter.Write(folder.File("2"), second, new Dictionary<string, string> { ["j"] = "w", ["k"] = "v" });

        Assert.Equal(File.ReadAllBytes(folder.File("1")), File.ReadAllBytes(folder.File("2")));
    }
}
