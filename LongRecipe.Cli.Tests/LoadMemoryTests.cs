using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace LongRecipe.Cli.Tests;

/// <summary>
/// Loading a model holds its weights and a bounded constant, not copies of them: the program's peak resident memory
/// (VmHWM) once a 1 GiB checkpoint has loaded, less its peak with a tiny one, against the weights' bytes. The weights
/// are a sparse file of zeros, so the test spends no disk. Loading used to count each tensor's NaN and ±∞ with
/// temporaries of 13 bytes a bf16 value that the heap kept: this model then peaked 5.7 GiB above the tiny one in bf16.
/// </summary>
public sealed class LoadMemoryTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("lr-load-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>What a process may hold beyond the weights at its peak: one 64 MiB window of the file, heap rounding.</summary>
    private const long Allowance = 256L << 20;

    [Theory]
    [InlineData(null, 2)]
    [InlineData("f32", 4)]
    public async Task Loading_holds_the_weights_and_a_bounded_constant_not_copies(string? dtype, int elementBytes)
    {
        // An untied 65536 × 4096 embedding and lm_head: 2 × 512 MiB in bf16, the lm_head loaded last, onto all the rest.
        var (large, elements) = Checkpoint("large", vocab: 65_536, hidden: 4_096);
        var (tiny, _) = Checkpoint("tiny", vocab: 16, hidden: 64);

        var growth = await PeakAfterLoad(large, dtype) - await PeakAfterLoad(tiny, dtype);

        var weights = elements * elementBytes;
        Assert.True(growth < 1.3 * weights + Allowance,
            $"loading {weights / (double)(1 << 20):0} MiB of weights in {dtype ?? "bf16"} took {growth / (double)(1 << 20):0} MiB");
    }

    /// <summary>
    /// The peak resident bytes of `score` on <paramref name="model"/>, read once it answers a request, so after the load: a
    /// request it refuses, which it answers without a forward.
    /// </summary>
    private static async Task<long> PeakAfterLoad(string model, string? dtype)
    {
        using var running = CliProcess.Start(dtype is null ? ["score", "--model", model] : ["score", "--model", model, "--dtype", dtype]);
        await running.Process.StandardInput.WriteLineAsync("""{"input_ids": [1]}""");
        await running.Process.StandardInput.FlushAsync();
        await running.UntilStderr("input_ids needs at least two tokens to score");
        var peak = File.ReadLines($"/proc/{running.Process.Id}/status").First(line => line.StartsWith("VmHWM:", StringComparison.Ordinal));
        running.Process.StandardInput.Close();
        var result = await running.EndAsync();
        Assert.Equal(1, result.ExitCode);
        return 1024 * long.Parse(peak["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A one-layer bf16 Llama with an untied lm_head (every other tensor a few thousand values: one head of 2, an MLP of
    /// 1), all weights zero; returns its folder and how many values its tensors hold.
    /// </summary>
    private (string Folder, long Elements) Checkpoint(string name, int vocab, int hidden)
    {
        var directory = Directory.CreateDirectory(Path.Combine(folder, name)).FullName;
        File.WriteAllText(Path.Combine(directory, "config.json"), new JsonObject
        {
            ["architectures"] = new JsonArray("LlamaForCausalLM"),
            ["model_type"] = "llama",
            ["vocab_size"] = vocab,
            ["hidden_size"] = hidden,
            ["intermediate_size"] = 1,
            ["num_hidden_layers"] = 1,
            ["num_attention_heads"] = 1,
            ["num_key_value_heads"] = 1,
            ["head_dim"] = 2,
            ["max_position_embeddings"] = 64,
            ["rms_norm_eps"] = 1e-5,
            ["rope_theta"] = 10000.0,
            ["tie_word_embeddings"] = false,
            ["torch_dtype"] = "bfloat16",
        }.ToJsonString());

        (string, long[])[] shapes =
        [
            ("model.embed_tokens.weight", [vocab, hidden]),
            ("model.layers.0.self_attn.q_proj.weight", [2, hidden]),
            ("model.layers.0.self_attn.k_proj.weight", [2, hidden]),
            ("model.layers.0.self_attn.v_proj.weight", [2, hidden]),
            ("model.layers.0.self_attn.o_proj.weight", [hidden, 2]),
            ("model.layers.0.mlp.gate_proj.weight", [1, hidden]),
            ("model.layers.0.mlp.up_proj.weight", [1, hidden]),
            ("model.layers.0.mlp.down_proj.weight", [hidden, 1]),
            ("model.layers.0.input_layernorm.weight", [hidden]),
            ("model.layers.0.post_attention_layernorm.weight", [hidden]),
            ("model.norm.weight", [hidden]),
            ("lm_head.weight", [vocab, hidden]),
        ];
        var header = new JsonObject();
        long elements = 0;
        foreach (var (tensor, shape) in shapes)
        {
            var count = shape.Aggregate(1L, (a, b) => a * b);
            header[tensor] = new JsonObject
            {
                ["dtype"] = "BF16",
                ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode)d)]),
                ["data_offsets"] = new JsonArray(2 * elements, 2 * (elements + count)),
            };
            elements += count;
        }
        // The safetensors layout: the header's length (u64, little-endian), the header padded to 8 bytes, the data.
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8;
        using var file = File.Create(Path.Combine(directory, "model.safetensors"));
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        file.Write(length);
        file.Write(json);
        file.Write(Enumerable.Repeat((byte)' ', padded - json.Length).ToArray());
        file.SetLength(file.Length + 2 * elements);
        return (directory, elements);
    }
}
