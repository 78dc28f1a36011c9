using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.SafeTensors;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.SafeTensors;

public class RoundTripTests
{
    public static TheoryData<DType> AllDTypes => [.. Enum.GetValues<DType>()];

    public static TheoryData<long[]> Shapes => new([], [0, 3], [3, 0], [7], [2, 3, 4], [1, 1, 1]);

    /// <summary>Six values that every dtype holds without a special case (no negatives for u8; bool sees non-zero as true).</summary>
    private static double[] SampleValues(DType dtype) => dtype switch
    {
        DType.UInt8 => [0, 1, 2, 127, 128, 255],
        DType.Bool => [0, 1, 1, 0, 1, 0],
        _ => [-2.5, 0, 1, 3.75, 100, -127],
    };

    [Theory]
    [MemberData(nameof(AllDTypes))]
    public void Every_dtype_round_trips_byte_for_byte(DType dtype)
    {
        using var folder = new TempFolder();
        using var scope = DisposeScope.Enter();
        var original = Tensor.FromArray(SampleValues(dtype), [2, 3], dtype);
        var path = folder.File("one.safetensors");

        SafeTensorsWriter.Write(path, new Dictionary<string, Tensor> { ["t"] = original });

        using var file = SafeTensorsFile.Open(path);
        var entry = Assert.Single(file.Entries);
        Assert.Equal(("t", dtype, 0L, 6L * dtype.ElementSize()), (entry.Name, entry.DType, entry.Begin, entry.End));
        Assert.Equal([2L, 3], entry.Shape);
        var loaded = file.Load("t");
        Assert.Equal(dtype, loaded.DType);
        Assert.Equal([2L, 3], loaded.Shape);
        Assert.Equal(HandBuilt.BytesOf(original), HandBuilt.BytesOf(loaded));
    }

    [Fact]
    public void Every_dtype_round_trips_side_by_side_in_one_file()
    {
        using var folder = new TempFolder();
        using var scope = DisposeScope.Enter();
        // Three elements each, so most tensors start at offsets unaligned to their element size.
        var originals = Enum.GetValues<DType>().ToDictionary(d => d.ShortName(), d => Tensor.FromArray(SampleValues(d)[..3], [3], d));
        var path = folder.File("all.safetensors");

        SafeTensorsWriter.Write(path, originals);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(originals.Keys.Order(StringComparer.Ordinal), file.Entries.Select(e => e.Name));
        foreach (var (name, original) in originals)
        {
            var loaded = file.Load(name);
            Assert.Equal(original.DType, loaded.DType);
            Assert.Equal(HandBuilt.BytesOf(original), HandBuilt.BytesOf(loaded));
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Shapes_round_trip_including_0_dim_and_empty(long[] shape)
    {
        using var folder = new TempFolder();
        using var scope = DisposeScope.Enter();
        var count = shape.Aggregate(1L, (n, d) => n * d); // an empty shape is one element
        var original = Tensor.Arange(count, DType.Float32).Reshape(shape);
        var path = folder.File("shape.safetensors");

        SafeTensorsWriter.Write(path, new Dictionary<string, Tensor> { ["t"] = original });

        using var file = SafeTensorsFile.Open(path);
        var entry = file.GetEntry("t");
        Assert.Equal(shape, entry.Shape);
        Assert.Equal(count * 4, entry.ByteLength);
        var loaded = file.Load("t");
        Assert.Equal(shape, loaded.Shape);
        Assert.Equal(original.ToArray<float>(), loaded.ToArray<float>());
    }

    [Fact]
    public void Metadata_round_trips_and_defaults_to_empty()
    {
        using var folder = new TempFolder();
        using var scope = DisposeScope.Enter();
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["recipe"] = """{"lr": 3e-4, "steps": [1, 2]}""",
            ["note"] = "ünïcödé ✓ \"quoted\"\n\ttabbed",
            [""] = "",
        };
        var tensors = new Dictionary<string, Tensor> { ["w"] = Tensor.Ones([2]) };
        var with = folder.File("with.safetensors");
        var without = folder.File("without.safetensors");

        SafeTensorsWriter.Write(with, tensors, metadata);
        SafeTensorsWriter.Write(without, tensors);

        using (var file = SafeTensorsFile.Open(with))
            Assert.Equal(metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal), file.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        using (var file = SafeTensorsFile.Open(without))
            Assert.Empty(file.Metadata);
    }

    [Fact]
    public void Load_converts_a_bf16_tensor_to_f32()
    {
        using var folder = new TempFolder();
        using var scope = DisposeScope.Enter();
        float[] values = [1.5f, -2f, 0.0078125f, 256f, 0f, -3.25f]; // all exact in bf16
        var path = folder.File("bf16.safetensors");
        SafeTensorsWriter.Write(path, new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray(values, [2, 3], DType.BFloat16) });

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(DType.BFloat16, file.GetEntry("w").DType);
        var loaded = file.Load("w", DType.Float32);
        Assert.Equal(DType.Float32, loaded.DType);
        Assert.Equal([2L, 3], loaded.Shape);
        Assert.Equal(values, loaded.ToArray<float>());
    }

    [Fact]
    public void Non_contiguous_tensors_are_written_in_row_major_order()
    {
        using var folder = new TempFolder();
        using var scope = DisposeScope.Enter();
        var transposed = Tensor.Arange(6, DType.Float32).Reshape(2, 3).Transpose(0, 1);
        Assert.False(transposed.IsContiguous);
        var path = folder.File("t.safetensors");

        SafeTensorsWriter.Write(path, new Dictionary<string, Tensor> { ["t"] = transposed });

        using var file = SafeTensorsFile.Open(path);
        var loaded = file.Load("t");
        Assert.Equal([3L, 2], loaded.Shape);
        Assert.Equal([0f, 3, 1, 4, 2, 5], loaded.ToArray<float>());
    }

    [Fact]
    public void Tensors_larger_than_a_chunk_are_streamed_in_several()
    {
        using var folder = new TempFolder();
        using var scope = DisposeScope.Enter();
        // 8-byte chunks: 2 f32 elements, 1 i64, 8 u8 at a time, with a short last chunk for each.
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = Tensor.Arange(5, DType.Float32),
            ["i64"] = Tensor.Arange(3).Reshape(3, 1),
            ["u8"] = Tensor.Arange(17, DType.UInt8),
            ["scalar"] = Tensor.FromArray([7.5], []),
        };
        var path = folder.File("chunks.safetensors");

        SafeTensorsWriter.Write(path, tensors, metadata: null, chunkBytes: 8);

        using var file = SafeTensorsFile.Open(path);
        foreach (var (name, original) in tensors)
            Assert.Equal(HandBuilt.BytesOf(original), HandBuilt.BytesOf(file.Load(name)));
    }

    [Fact]
    public void Tensors_larger_than_a_window_are_loaded_in_several_and_converted_on_the_way()
    {
        using var folder = new TempFolder();
        using var scope = DisposeScope.Enter();
        // 8-byte windows: 4 bf16 elements, 2 f32, 1 i64, 8 u8 at a time, most with a short last window, at offsets
        // that no page boundary lines up with.
        var tensors = new Dictionary<string, Tensor>
        {
            ["bf16"] = Tensor.Arange(11, DType.Float32).Reshape(11, 1).To(DType.BFloat16),
            ["f32"] = Tensor.Arange(5, DType.Float32),
            ["i64"] = Tensor.Arange(3).Reshape(3, 1),
            ["u8"] = Tensor.Arange(17, DType.UInt8),
            ["scalar"] = Tensor.FromArray([7.5], []),
            ["empty"] = Tensor.Zeros([0, 3]),
        };
        var path = folder.File("windows.safetensors");
        SafeTensorsWriter.Write(path, tensors);

        using var file = SafeTensorsFile.Open(path);
        foreach (var (name, original) in tensors)
        {
            var loaded = file.Load(name, dtype: null, device: null, windowBytes: 8);
            Assert.Equal(original.Shape, loaded.Shape);
            Assert.Equal(HandBuilt.BytesOf(original), HandBuilt.BytesOf(loaded));
        }
        var converted = file.Load("bf16", DType.Float32, device: null, windowBytes: 8);
        Assert.Equal(Enumerable.Range(0, 11).Select(i => (float)i), converted.ToArray<float>());
    }

    [Fact]
    public void Lookup_by_name_reports_the_file_when_a_tensor_is_missing()
    {
        using var folder = new TempFolder();
        using var scope = DisposeScope.Enter();
        var path = folder.File("names.safetensors");
        SafeTensorsWriter.Write(path, new Dictionary<string, Tensor> { ["present"] = Tensor.Ones([1]) });

        using var file = SafeTensorsFile.Open(path);
        Assert.True(file.Contains("present"));
        Assert.False(file.Contains("absent"));
        var error = Assert.Throws<KeyNotFoundException>(() => file.Load("absent"));
        Assert.Contains(path, error.Message);
        Assert.Contains("'absent'", error.Message);
    }

    [Fact]
    public void Load_after_dispose_throws()
    {
        using var folder = new TempFolder();
        using var scope = DisposeScope.Enter();
        var path = folder.File("closed.safetensors");
        SafeTensorsWriter.Write(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Ones([1]) });

        var file = SafeTensorsFile.Open(path);
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.Load("w"));
    }

    [Fact]
    public void Writer_rejects_the_metadata_key_as_a_tensor_name()
    {
        using var folder = new TempFolder();
        using var scope = DisposeScope.Enter();
        var error = Assert.Throws<ArgumentException>(() =>
            SafeTensorsWriter.Write(folder.File("x.safetensors"), new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Ones([1]) }));
        Assert.Contains("__metadata__", error.Message);
        Assert.Empty(folder.Files());
    }
}
