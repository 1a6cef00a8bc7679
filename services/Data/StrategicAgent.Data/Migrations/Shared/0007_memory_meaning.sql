-- Learning memory recalled by meaning: the question's all-MiniLM-L6-v2 sentence vector (384 reals,
-- normalised, so the dot product of two is their cosine), written by the agent with each row. Null
-- for rows written before, or when the model could not run: those are recalled by fingerprint and
-- trigrams only. On both databases (the table is replicated: the subscriber needs the column too).
ALTER TABLE ai_learning_memory ADD COLUMN IF NOT EXISTS intent_embedding real[];
