using LongRecipe.Engine.Tests.Support;
using System.Text;
using LongRecipe.Engine.SafeTensors;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.SafeTensors;

/// <summary>Malformed files fail at Open with a message naming the file, the tensor (where one is at fault) and the problem.</summary>
public class RejectionTests
{
    private const string Name = "bad.safetensors";

    /// <summary>Header, data buffer length, tensor at fault (null: the file as a whole), words the message must hold.</summary>
    public static TheoryData<string, int, string?, string> BadHeaders => new()
    {
        { """{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4, "w", "data_offsets [0, 8] end past the data buffer (4 bytes)" },
        { """{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 8, "w", "end past the data buffer (8 bytes)" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "b",
            "data_offsets [4, 12] overlap those of tensor 'a' [0, 8]" },
        { """{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}""", 4, "b",
            "overlap those of tensor 'a'" },
        // The tensors must tile the data buffer: no hole, no trailing bytes (the format's rule against polyglot files).
        { """{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[3,5]}}""", 5, "b",
            "data_offsets [3, 5] leave bytes [2, 3) after tensor 'a' unowned" },
        { """{"w":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}""", 3, "w", "leave bytes [0, 1) of the data unowned; the first tensor must begin at 0" },
        { """{"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}""", 4, null, "the tensors' data ends at byte 2 of 4: 2 trailing bytes belong to no tensor" },
        { """{"__metadata__":{"format":"pt"}}""", 1, null, "1 trailing bytes belong to no tensor" },
        { """{"w":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}""", 4, "w", "data_offsets [4, 0] begin after their end" },
        { """{"w":{"dtype":"U8","shape":[0],"data_offsets":[-4,0]}}""", 4, "w", "data_offsets [-4, 0] are negative" },
        { """{"w":{"dtype":"U8","shape":[4],"data_offsets":[0]}}""", 4, "w", "data_offsets [0] is not a [begin, end] pair" },
        { """{"w":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}""", 4, "w", "unsupported dtype 'F8_E4M3'" },
        { """{"w":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}""", 4, "w", "unsupported dtype 'f32'" },
        { """{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "w", "data_offsets [0, 8] hold 8 bytes but F32 [3] needs 12" },
        { """{"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}}""", 8, "w", "overflows a 64-bit byte count" },
        { """{"w":{"dtype":"F32","shape":[-1,2],"data_offsets":[0,8]}}""", 8, "w", "negative dimension -1 in shape [-1, 2]" },
        { """{"w":{"dtype":"F32","shape":[2]}}""", 8, "w", "missing field 'data_offsets'" },
        { """{"w":{"shape":[2],"data_offsets":[0,8]}}""", 8, "w", "missing field 'dtype'" },
        { """{"w":{"dtype":"F32","data_offsets":[0,8]}}""", 8, "w", "missing field 'shape'" },
        { """{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"offset":0}}""", 8, "w", "unknown field 'offset'" },
        { """{"w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8, "w", "duplicate field 'dtype'" },
        { """{"w":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}""", 8, "w", "'dtype' is not a string" },
        { """{"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}""", 8, "w", "'shape' is not an array of integers" },
        { """{"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}""", 8, "w", "'shape' holds a value that is not a 64-bit integer" },
        { """{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551615]}}""", 8, "w",
            "'data_offsets' holds a value that is not a 64-bit integer" },
        { """{"w":7}""", 8, "w", "entry is not a JSON object" },
        { """{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "w",
            "duplicate tensor name" },
        { """{"__metadata__":{"a":"1"},"__metadata__":{"b":"2"}}""", 0, null, "duplicate key '__metadata__'" },
        { """{"__metadata__":{"a":"1","a":"2"}}""", 0, null, "'__metadata__' has duplicate key 'a'" },
        { """{"__metadata__":{"steps":100}}""", 0, null, "'__metadata__' value of 'steps' is not a string" },
        { """{"__metadata__":["pt"]}""", 0, null, "'__metadata__' is not a JSON object" },
        { """[{"w":{}}]""", 0, null, "header is not a JSON object" },
        { """{"w":{"dtype":"F32",""", 8, null, "header is not valid JSON" },
        { """{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],}}""", 8, null, "header is not valid JSON" },
        { """{} {}""", 0, null, "header is not valid JSON" },
        { "", 0, null, "header is not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void Malformed_header_is_rejected(string header, int dataLength, string? tensor, string problem)
    {
        using var folder = new TempFolder();
        var error = Reject(folder, HandBuilt.File(header, new byte[dataLength]));
        Assert.Equal(tensor, error.TensorName);
        Assert.Contains(problem, error.Message);
        if (tensor is not null) Assert.Contains($"tensor '{tensor}'", error.Message);
    }

    [Fact]
    public void Truncated_data_is_rejected()
    {
        using var folder = new TempFolder();
        var path = folder.File(Name);
        using (DisposeScope.Enter())
            SafeTensorsWriter.Write(path, new Dictionary<string, Tensor> { ["a"] = Tensor.Ones([4]), ["lm_head.weight"] = Tensor.Ones([4]) });
        var whole = File.ReadAllBytes(path);
        File.WriteAllBytes(path, whole[..^3]);

        var error = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Equal("lm_head.weight", error.TensorName);
        Assert.Contains(path, error.Message);
        Assert.Contains("data_offsets [16, 32] end past the data buffer (29 bytes)", error.Message);
    }

    [Fact]
    public void Header_length_past_the_end_of_the_file_is_rejected()
    {
        using var folder = new TempFolder();
        var error = Reject(folder, HandBuilt.File(1000, "{}"u8.ToArray(), new byte[6]));
        Assert.Contains("header length 1000 runs past the end of the file (16 bytes)", error.Message);
    }

    [Theory]
    [InlineData(100_000_001UL)]
    [InlineData(ulong.MaxValue)]
    public void Absurd_header_length_is_rejected_before_allocating(ulong declared)
    {
        using var folder = new TempFolder();
        var error = Reject(folder, HandBuilt.File(declared, "{}"u8.ToArray(), []));
        Assert.Contains($"header length {declared} exceeds the 100000000-byte limit", error.Message);
    }

    [Fact]
    public void File_shorter_than_the_length_field_is_rejected()
    {
        using var folder = new TempFolder();
        var error = Reject(folder, [1, 0, 0]);
        Assert.Contains("file is 3 bytes, too short for the 8-byte header length", error.Message);
    }

    [Fact]
    public void Header_that_is_not_UTF8_is_rejected()
    {
        using var folder = new TempFolder();
        var header = Encoding.UTF8.GetBytes("""{"w\u00e9":{}}""");
        header[4] = 0xFF; // breaks the two-byte é
        var error = Reject(folder, HandBuilt.File((ulong)header.Length, header, []));
        Assert.Contains("header is not valid UTF-8", error.Message);
    }

    /// <summary>Writes <paramref name="bytes"/> as <see cref="Name"/>, expects Open to reject it, and checks the message names the file.</summary>
    private static SafeTensorsFormatException Reject(TempFolder folder, byte[] bytes)
    {
        var path = folder.File(Name);
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Equal(path, error.FilePath);
        Assert.StartsWith($"{path}: ", error.Message);
        return error;
    }
}
