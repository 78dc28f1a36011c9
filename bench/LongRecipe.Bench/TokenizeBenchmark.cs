// Tokenizer throughput on one thread: English-like documents (or a text file) through Encode.
//   dotnet run -c Release --project bench/LongRecipe.Bench -- tokenize [--tokenizer .cache/tokenizers/llama3] [--mb 4] [--file some.txt]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using LongRecipe.Engine.Tokenization;

internal static class TokenizeBenchmark
{
    public static void Run(string[] args)
    {
        string Value(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var tokenizerPath = Value("--tokenizer", Path.Combine(".cache", "tokenizers", "llama3"));
        var file = Value("--file", "");
        var documents = file == ""
            ? EnglishLikeDocuments(megabytes: double.Parse(Value("--mb", "4"), CultureInfo.InvariantCulture), seed: 0)
            : File.ReadAllText(file).Split("\n\n");
        var megabytes = documents.Sum(d => Encoding.UTF8.GetByteCount(d)) / 1e6;

        // A first instance compiles the regex and JIT-compiles the code paths; the measured one starts
        // with an empty BPE cache ("fresh"), then encodes the same documents again ("repeat").
        var warmUp = Tokenizer.Load(tokenizerPath);
        foreach (var document in documents.Take(200)) warmUp.Encode(document);
        var load = Stopwatch.StartNew();
        var tokenizer = Tokenizer.Load(tokenizerPath);
        var loadSeconds = load.Elapsed.TotalSeconds;
        foreach (var pass in (string[])["fresh", "repeat"])
        {
            long tokens = 0;
            var clock = Stopwatch.StartNew();
            foreach (var document in documents) tokens += tokenizer.Encode(document).Length;
            var seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"impl\":\"longrecipe\",\"bench\":\"tokenize\",\"tokenizer\":\"{Path.GetFileName(Path.TrimEndingDirectorySeparator(tokenizerPath))}\",\"pass\":\"{pass}\",\"threads\":1,\"mb\":{megabytes:F2},\"load_s\":{loadSeconds:F2},\"seconds\":{seconds:F3},\"mb_per_s\":{megabytes / seconds:F2},\"tokens_per_s\":{tokens / seconds:F0},\"bytes_per_token\":{megabytes * 1e6 / tokens:F2}}}"));
        }
    }

    /// <summary>
    /// Paragraph-sized documents of English-like prose: Zipf-weighted common words, one word in ten made
    /// up from syllables (so the BPE cache keeps missing, as on real text's rare words), numbers,
    /// punctuation, quotes and line breaks. Deterministic for a seed.
    /// </summary>
    private static string[] EnglishLikeDocuments(double megabytes, int seed)
    {
        string[] common =
        [
            "the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "was", "on", "with", "as", "he", "be", "by",
            "at", "this", "have", "from", "or", "had", "not", "but", "what", "all", "were", "when", "we", "there", "can",
            "an", "your", "which", "their", "said", "if", "do", "will", "each", "about", "how", "up", "out", "them",
            "then", "she", "many", "some", "so", "these", "would", "other", "into", "has", "more", "her", "two", "like",
            "him", "see", "time", "could", "no", "make", "than", "first", "been", "its", "who", "now", "people", "my",
            "made", "over", "did", "down", "only", "way", "find", "use", "may", "water", "long", "little", "very",
            "after", "words", "called", "just", "where", "most", "know", "get", "through", "back", "much", "before",
            "go", "good", "new", "write", "our", "used", "me", "man", "too", "any", "day", "same", "right", "look",
            "think", "also", "around", "another", "came", "come", "work", "three", "word", "must", "because", "does",
            "part", "even", "place", "well", "such", "here", "take", "why", "things", "help", "put", "years",
            "different", "away", "again", "off", "went", "old", "number", "great", "tell", "men", "say", "small",
            "every", "found", "still", "between", "name", "should", "home", "big", "give", "air", "line", "set", "own",
            "under", "read", "last", "never", "us", "left", "end", "along", "while", "might", "next", "sound", "below",
            "saw", "something", "thought", "both", "few", "those", "always", "looked", "show", "large", "often",
            "together", "asked", "house", "don't", "world", "going", "want", "school", "important", "until", "form",
            "food", "keep", "children", "feet", "land", "side", "without", "boy", "once", "animals", "life", "enough",
            "took", "sometimes", "four", "head", "above", "kind", "began", "almost", "live", "page", "got", "earth",
            "need", "far", "hand", "high", "year", "mother", "light", "parts", "country", "father", "let", "night",
            "following", "picture", "being", "study", "second", "eyes", "soon", "times", "story", "boys", "since",
            "white", "days", "paper", "hard", "near", "sentence", "better", "best", "across", "during", "today",
            "others", "however", "sure", "means", "knew", "it's", "try", "told", "young", "miles", "sun", "ways",
            "thing", "whole", "hear", "example", "heard", "several", "change", "answer", "room", "sea", "against",
            "top", "turned", "learn", "point", "city", "play", "toward", "five", "using", "himself", "usually",
        ];
        string[] syllables =
        [
            "ka", "tor", "ven", "li", "mar", "sel", "qui", "dra", "nob", "es", "phi", "lum", "ber", "gan", "tis",
            "ro", "wen", "ex", "ul", "stra", "po", "chen", "ith", "mo", "gra", "sun", "dev", "al", "zo", "ric",
        ];
        var random = new Random(seed);
        // Zipf: the word of rank r is drawn with weight 1/(r+1).
        var cumulative = new double[common.Length];
        for (var r = 0; r < common.Length; r++) cumulative[r] = (r > 0 ? cumulative[r - 1] : 0) + 1.0 / (r + 1);

        string Word()
        {
            if (random.NextDouble() < 0.1)
                return string.Concat(Enumerable.Range(0, random.Next(2, 6)).Select(_ => syllables[random.Next(syllables.Length)]));
            var index = Array.BinarySearch(cumulative, random.NextDouble() * cumulative[^1]);
            return common[index < 0 ? ~index : index];
        }

        var documents = new List<string>();
        var total = 0L;
        while (total < megabytes * 1e6)
        {
            var document = new StringBuilder();
            for (var sentence = random.Next(4, 16); sentence > 0; sentence--)
            {
                var words = random.Next(5, 25);
                for (var w = 0; w < words; w++)
                {
                    var word = Word();
                    if (w == 0) word = char.ToUpperInvariant(word[0]) + word[1..];
                    var roll = random.NextDouble();
                    if (roll < 0.03) word = random.Next(1, 2030).ToString(CultureInfo.InvariantCulture);
                    else if (roll < 0.04) word = (random.NextDouble() * 100).ToString("F2", CultureInfo.InvariantCulture);
                    else if (roll < 0.05) word = $"\"{word}\"";
                    document.Append(word);
                    if (w < words - 1) document.Append(random.NextDouble() < 0.08 ? ", " : " ");
                }
                document.Append(random.NextDouble() < 0.1 ? "? " : random.NextDouble() < 0.05 ? "!\n" : ". ");
            }
            documents.Add(document.ToString().TrimEnd() + "\n");
            total += Encoding.UTF8.GetByteCount(documents[^1]);
        }
        return [.. documents];
    }
}
