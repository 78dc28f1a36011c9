using LongRecipe.Engine.Tests.Support;
using System.Buffers.Binary;
using LongRecipe.Engine.SafeTensors;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.SafeTensors;

/// <summary>The reader against bytes laid out by hand from the format description: the check that does not go through the writer.</summary>
public class HandBuiltFileTests
{
    [Fact]
    public void Reads_a_file_assembled_by_hand()
    {
        // Keys, fields and data deliberately out of the writer's order, and a header without padding
        // (the format asks writers to align, not readers to insist).
        const string header = """
            {
              "weight": {"dtype": "F32", "shape": [3], "data_offsets": [16, 28]},
              "__metadata__": {"format": "pt", "source": "hand"},
              "ids": {"shape": [2], "dtype": "I64", "data_offsets": [0, 16]},
              "half": {"data_offsets": [28, 32], "dtype": "BF16", "shape": [1, 2]},
              "mask": {"dtype": "BOOL", "shape": [3], "data_offsets": [32, 35]},
              "scale": {"dtype": "F64", "shape": [], "data_offsets": [35, 43]},
              "empty": {"dtype": "U8", "shape": [0, 3], "data_offsets": [43, 43]},
              "small": {"dtype": "I16", "shape": [2], "data_offsets": [43, 47]}
            }
            """;
        var data = new byte[47];
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(0), -1);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8), 1L << 40);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(16), 1f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(20), -2f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(24), 0.5f);
        data[28] = 0x80; data[29] = 0x3F; // bf16 1.0 = 0x3F80
        data[30] = 0x00; data[31] = 0xC0; // bf16 -2.0 = 0xC000
        data[32] = 1; data[33] = 0; data[34] = 1;
        BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(35), 2.25);
        BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(43), -300);
        BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(45), 300);

        using var folder = new TempFolder();
        using var scope = DisposeScope.Enter();
        var path = folder.File("hand.safetensors");
        File.WriteAllBytes(path, HandBuilt.File(header, data));

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(["ids", "weight", "half", "mask", "scale", "empty", "small"], file.Entries.Select(e => e.Name));
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["source"] = "hand" }, file.Metadata);

        var half = file.GetEntry("half");
        Assert.Equal((DType.BFloat16, 28L, 32L, 4L), (half.DType, half.Begin, half.End, half.ByteLength));
        Assert.Equal([1L, 2], half.Shape);

        Assert.Equal([-1L, 1L << 40], file.Load("ids").ToArray<long>());
        Assert.Equal([1f, -2f, 0.5f], file.Load("weight").ToArray<float>());
        Assert.Equal([1f, -2f], file.Load("half", DType.Float32).ToArray<float>());
        Assert.Equal([true, false, true], file.Load("mask").ToArray<bool>());
        var scale = file.Load("scale");
        Assert.Equal(0, scale.Dim);
        Assert.Equal(2.25, scale.ToDouble());
        var empty = file.Load("empty");
        Assert.Equal([0L, 3], empty.Shape);
        Assert.Equal(DType.UInt8, empty.DType);
        Assert.Equal([(short)-300, (short)300], file.Load("small").ToArray<short>());
    }

    [Fact]
    public void Reads_a_file_with_no_tensors()
    {
        using var folder = new TempFolder();
        var path = folder.File("nothing.safetensors");
        File.WriteAllBytes(path, HandBuilt.File("{}", []));

        using var file = SafeTensorsFile.Open(path);
        Assert.Empty(file.Entries);
        Assert.Empty(file.Metadata);
    }
}
